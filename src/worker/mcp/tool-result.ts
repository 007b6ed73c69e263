import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { TOOL_OUTPUT_LIMIT_BYTES } from '../model/tools.js';
import type { ToolResult } from '../model/tools.js';

type Block = CallToolResult['content'][number];

/** One content block as text the model can read; binary data is described, not inlined. */
function blockText(block: Block): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
    case 'audio':
      return `[${block.type} ${block.mimeType}, ${Math.floor((block.data.length * 3) / 4)} bytes, not shown]`;
    case 'resource': {
      const resource = block.resource;
      if ('text' in resource && typeof resource.text === 'string') return resource.text;
      return `[resource ${resource.uri}${resource.mimeType ? ` (${resource.mimeType})` : ''}, binary, not shown]`;
    }
    case 'resource_link':
      return `[resource link ${block.uri}${block.description ? `: ${block.description}` : ''}]`;
    default:
      return `[${(block as { type?: string }).type ?? 'unknown'} content, not shown]`;
  }
}

/** At most `limit` bytes of UTF-8, cut on a character boundary, with a note when cut. */
export function clipBytes(text: string, limit: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  const cut = bytes.subarray(0, limit).toString('utf8').replace(/\uFFFD$/, '');
  return `${cut}\n… (output truncated at ${limit / 1024} KiB)`;
}

/**
 * What the model sees of an MCP tool's result: its text content, then its structured content as
 * JSON when the text does not already carry it (the spec asks servers to send both, not all do);
 * `isError` makes it an `error: …` result. Cut at the built-in tools' output limit.
 */
export function toToolResult(tool: string, result: CallToolResult): ToolResult {
  const parts = (result.content ?? []).map(blockText);
  const structured = result.structuredContent;
  if (structured !== undefined) {
    const json = JSON.stringify(structured);
    const carried = parts.some((part) => {
      try {
        return JSON.stringify(JSON.parse(part)) === json;
      } catch {
        return false;
      }
    });
    if (!carried) parts.push(parts.length > 0 ? `structured content: ${json}` : json);
  }
  const legacy = (result as { toolResult?: unknown }).toolResult;
  if (parts.length === 0 && legacy !== undefined) parts.push(JSON.stringify(legacy));
  const body = clipBytes(parts.join('\n') || '(no output)', TOOL_OUTPUT_LIMIT_BYTES);
  const firstLine = body.split('\n', 1)[0]!.slice(0, 200);
  if (result.isError) return { ok: false, content: `error: ${tool} reported an error: ${body}`, summary: firstLine };
  return { ok: true, content: body, summary: firstLine };
}
