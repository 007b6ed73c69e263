import { configJsonSchemaText } from '../../scaffold/config-json-schema.js';

/** `lightning schema`: the JSON Schema of agents.yaml, for editors (agents.schema.json). */
export async function schemaCommand(): Promise<void> {
  process.stdout.write(configJsonSchemaText());
}
