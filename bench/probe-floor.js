// The least a health-checking supervisor can do: GET /health on each port given, every second,
// over keep-alive connections. Measured beside the idle supervisor as its floor (bench/idle.js).
import http from 'node:http';

const ports = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true });
setInterval(() => {
  for (const port of ports) {
    const request = http.get({ host: '127.0.0.1', port, path: '/health', agent, timeout: 500 }, (response) => response.resume());
    request.on('timeout', () => request.destroy());
    request.on('error', () => undefined);
  }
}, 1000);
