#!/usr/bin/env python3
"""A custom lightning agent: standard library only, any python3 >= 3.8.

It serves lightning's worker protocol on 127.0.0.1:$PORT:
  GET  /health                        liveness and load, probed by the supervisor
  GET  /.well-known/agent-card.json   A2A agent card: who this agent is, its skills
  POST /a2a/jsonrpc                   A2A JSON-RPC
        v0.3 (no A2A-Version header): message/send, message/stream (SSE), tasks/get, tasks/cancel
        v1.0 (A2A-Version: 1.0):      SendMessage, SendStreamingMessage (SSE), GetTask, CancelTask

Your code goes in handle() below; the rest is protocol plumbing you should not need to touch.
Run it by hand with `PORT=9010 python3 agent.py`; under `lightning up` the supervisor starts it.
"""

import hmac
import json
import os
import signal
import socket
import stat
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import OrderedDict
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What this agent says about itself, written by `lightning new agent`. The supervisor reads them
# from the agent card and merges them with agents.yaml, so keep both in the same words.
AGENT_NAME = "my_agent"
DESCRIPTION = "A custom agent"
CAPABILITIES = ["example"]
# Used when $PORT is not set (the supervisor always sets it).
DEFAULT_PORT = 9010
# Tasks run at once (one thread each); beyond this a task is refused at once with HTTP 503 so the
# supervisor can send it to another instance.
CAPACITY = 8


# ================================ YOUR LOGIC GOES HERE ================================
def handle(text):
    # type: (str) -> str
    """Do this agent's work on one task and return the answer as text.

    `text` is the task as the user wrote it (`lightning run "..."`). Raise an exception to fail
    the task: its message becomes the task's error. Each task runs in its own thread.
    """
    return (
        "{} received this task:\n{}\n\n"
        "Nothing was done with it: this agent's logic is not written yet "
        "(edit handle() in {}).".format(AGENT_NAME, text, os.path.relpath(__file__))
    )
# ======================================================================================


RPC_PATH = "/a2a/jsonrpc"
CARD_PATH = "/.well-known/agent-card.json"
MAX_BODY_BYTES = 4 * 1024 * 1024
TASKS_KEPT = 1000  # for tasks/get; the oldest are forgotten first
V03_METHODS = {"message/send", "message/stream", "tasks/get", "tasks/cancel"}
V1_METHODS = {"SendMessage", "SendStreamingMessage", "GetTask", "CancelTask"}
STARTING_METHODS = {"message/send", "message/stream", "SendMessage", "SendStreamingMessage"}

NAME = os.environ.get("LIGHTNING_AGENT") or AGENT_NAME
INSTANCE = int(os.environ.get("LIGHTNING_INSTANCE") or 0)
PORT = int(os.environ.get("PORT") or DEFAULT_PORT)
# Started by hand elsewhere with a supervisor's URL and its join token, the agent joins that
# supervisor by itself and keeps a lease with heartbeats (the supervisor never passes the join
# token to the agents it starts, so those do not).
SUPERVISOR = os.environ.get("LIGHTNING_SUPERVISOR") or None
JOIN_TOKEN = os.environ.get("LIGHTNING_JOIN_TOKEN") or None
HOST = os.environ.get("HOST") or "127.0.0.1"
ADVERTISE = os.environ.get("LIGHTNING_ADVERTISE") or "http://{}:{}".format(
    socket.gethostname() if HOST in ("0.0.0.0", "::") else HOST, PORT)
LEASE_MS = int(os.environ.get("LIGHTNING_LEASE_MS") or 15000)
# A joined agent takes tasks only from the supervisor it joined, which sends the join token.
TOKEN = os.environ.get("LIGHTNING_TOKEN") or (JOIN_TOKEN if SUPERVISOR else None)
STARTED = time.monotonic()

lock = threading.Lock()
inflight = 0
tasks = OrderedDict()  # task id -> finished task (see run_task)


class RpcError(Exception):
    def __init__(self, code, message, status=200):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def humanize(term):
    return " ".join(word.capitalize() for word in term.replace("-", " ").replace("_", " ").split())


def agent_card(base_url, legacy):
    """A2A card, v1.0 form by default; v0.3 form (top-level url) when a 0.x version is asked."""
    rpc_url = base_url + RPC_PATH
    skills = [
        {"id": c, "name": humanize(c), "description": "{} work by {}: {}".format(humanize(c), NAME, DESCRIPTION),
         "tags": [c], "examples": [], "inputModes": ["text/plain"], "outputModes": ["text/plain"]}
        for c in CAPABILITIES
    ]
    card = {"name": NAME, "description": DESCRIPTION, "version": "0.1.0",
            "capabilities": {"streaming": True, "pushNotifications": False},
            "defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"], "skills": skills}
    if legacy:
        card.update({"protocolVersion": "0.3.0", "url": rpc_url, "preferredTransport": "JSONRPC"})
        if TOKEN:
            card.update({"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "security": [{"bearer": []}]})
    else:
        card["supportedInterfaces"] = [
            {"url": rpc_url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": rpc_url, "protocolBinding": "JSONRPC", "protocolVersion": "0.3"},
        ]
        if TOKEN:
            card["securitySchemes"] = {"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}}
            card["securityRequirements"] = [{"schemes": {"bearer": {"list": []}}}]
    return card


def input_text(params):
    message = params.get("message") if isinstance(params, dict) else None
    if not isinstance(message, dict):
        raise RpcError(-32602, "invalid params: params.message must be an object")
    parts = message.get("parts")
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)] if isinstance(parts, list) else []
    if not texts:
        raise RpcError(-32602, "invalid params: the message has no text part")
    context_id = message.get("contextId") if isinstance(message.get("contextId"), str) else str(uuid.uuid4())
    return "\n".join(texts), context_id


def run_task(task_id, text, context_id):
    """Runs handle() on one task and keeps the finished task for tasks/get."""
    started = time.monotonic()
    task = {"id": task_id, "contextId": context_id, "input": text, "state": "completed", "output": ""}
    try:
        task["output"] = str(handle(text))
    except Exception as error:  # the user's logic failed: the task fails, the agent lives on
        task["state"], task["output"] = "failed", "{}: {}".format(type(error).__name__, error)
    task["timestamp"] = now()
    with lock:
        tasks[task["id"]] = task
        while len(tasks) > TASKS_KEPT:
            tasks.popitem(last=False)
    print("task {} {} in {:.0f} ms".format(task["id"], task["state"], (time.monotonic() - started) * 1000), flush=True)
    return task


def find_task(params):
    task_id = params.get("id") if isinstance(params, dict) else None
    with lock:
        task = tasks.get(task_id) if isinstance(task_id, str) else None
    if task is None:
        raise RpcError(-32001, "Task not found: {}".format(task_id))
    return task


# The same task in each protocol version's wire form.
def v03_message(task, role, text):
    return {"kind": "message", "messageId": str(uuid.uuid4()), "role": role, "parts": [{"kind": "text", "text": text}],
            "taskId": task["id"], "contextId": task["contextId"]}


def v03_task(task, final=True):
    body = {"kind": "task", "id": task["id"], "contextId": task["contextId"],
            "status": {"state": "working", "timestamp": now()}, "history": [v03_message(task, "user", task["input"])]}
    if final:
        body["status"] = {"state": task["state"], "message": v03_message(task, "agent", task["output"]), "timestamp": task["timestamp"]}
        if task["state"] == "completed":
            body["artifacts"] = [{"artifactId": task["id"] + "-output", "name": "output", "parts": [{"kind": "text", "text": task["output"]}]}]
    return body


def v03_events(task):
    final = v03_task(task)
    if task["state"] == "completed":
        yield {"kind": "artifact-update", "taskId": task["id"], "contextId": task["contextId"],
               "artifact": final["artifacts"][0], "append": False, "lastChunk": True}
    yield {"kind": "status-update", "taskId": task["id"], "contextId": task["contextId"], "status": final["status"], "final": True}


V1_STATES = {"working": "TASK_STATE_WORKING", "completed": "TASK_STATE_COMPLETED", "failed": "TASK_STATE_FAILED"}


def v1_message(task, role, text):
    return {"messageId": str(uuid.uuid4()), "role": role, "parts": [{"text": text, "mediaType": "text/plain"}],
            "taskId": task["id"], "contextId": task["contextId"]}


def v1_task(task, final=True):
    body = {"id": task["id"], "contextId": task["contextId"], "status": {"state": V1_STATES["working"], "timestamp": now()},
            "history": [v1_message(task, "ROLE_USER", task["input"])]}
    if final:
        body["status"] = {"state": V1_STATES[task["state"]], "message": v1_message(task, "ROLE_AGENT", task["output"]), "timestamp": task["timestamp"]}
        if task["state"] == "completed":
            body["artifacts"] = [{"artifactId": task["id"] + "-output", "name": "output", "parts": [{"text": task["output"], "mediaType": "text/plain"}]}]
    return body


def v1_events(task):
    final = v1_task(task)
    if task["state"] == "completed":
        yield {"artifactUpdate": {"taskId": task["id"], "contextId": task["contextId"], "artifact": final["artifacts"][0], "lastChunk": True}}
    yield {"statusUpdate": {"taskId": task["id"], "contextId": task["contextId"], "status": final["status"]}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the supervisor reuses its connections

    def log_message(self, format, *args):
        pass  # one line per task is printed instead of one per request (probes come every second)

    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/health":
            with lock:
                busy = inflight
            return self.send_json(200, {"status": "ok", "agent": NAME, "instance": INSTANCE, "inflight": busy,
                                        "capacity": CAPACITY, "uptimeMs": int((time.monotonic() - STARTED) * 1000)})
        if path == CARD_PATH:
            legacy = (self.headers.get("A2A-Version") or "").startswith("0.")
            return self.send_json(200, agent_card("http://127.0.0.1:{}".format(self.server.server_address[1]), legacy))
        self.send_json(404, {"error": "not_found", "message": "no route GET {}".format(path)})

    def do_POST(self):
        global inflight
        path = self.path.split("?", 1)[0]
        if path != RPC_PATH:
            return self.send_json(404, {"error": "not_found", "message": "no route POST {}".format(path)})
        request_id, body_read = None, False
        try:
            if TOKEN and not hmac.compare_digest((self.headers.get("Authorization") or "").encode(), ("Bearer " + TOKEN).encode()):
                raise RpcError(-32001, "unauthorized: send Authorization: Bearer $LIGHTNING_TOKEN", 401)
            if "application/json" not in (self.headers.get("Content-Type") or ""):
                raise RpcError(-32600, "content-type must be application/json", 415)
            declared = self.headers.get("Content-Length") or ""
            if not declared.isdigit():
                self.close_connection = True
                raise RpcError(-32600, "send the body with a Content-Length header", 411)
            length = int(declared)
            if length > MAX_BODY_BYTES:
                self.close_connection = True
                raise RpcError(-32600, "request body over {} bytes".format(MAX_BODY_BYTES), 413)
            data = self.rfile.read(length)
            body_read = True
            try:
                body = json.loads(data or b"null")
            except ValueError:
                raise RpcError(-32700, "parse error: the body is not valid JSON", 400)
            if not isinstance(body, dict) or not isinstance(body.get("method"), str):
                raise RpcError(-32600, "invalid request: expected a JSON-RPC object with a method", 400)
            request_id, method, params = body.get("id"), body["method"], body.get("params")
            if method not in V03_METHODS and method not in V1_METHODS:
                raise RpcError(-32601, "Method not found: {}".format(method))
            if method in ("tasks/get", "GetTask"):
                task = find_task(params)
                return self.send_json(200, {"jsonrpc": "2.0", "id": request_id, "result": v03_task(task) if method == "tasks/get" else v1_task(task)})
            if method in ("tasks/cancel", "CancelTask"):
                task = find_task(params)
                raise RpcError(-32002, "Task cannot be canceled: it is already {}".format(task["state"]))
            text, context_id = input_text(params)
            with lock:
                if inflight >= CAPACITY:
                    raise RpcError(-32000, "at capacity: {} of {} tasks in flight".format(inflight, CAPACITY), 503)
                inflight += 1
            try:
                if method in ("message/send", "SendMessage"):
                    task = run_task(str(uuid.uuid4()), text, context_id)
                    result = v03_task(task) if method == "message/send" else {"task": v1_task(task)}
                    return self.send_json(200, {"jsonrpc": "2.0", "id": request_id, "result": result})
                self.stream(request_id, method == "message/stream", text, context_id)
            finally:
                with lock:
                    inflight -= 1
        except RpcError as error:
            if not body_read:
                self.close_connection = True  # the unread body would garble the next request on this connection
            headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {"Retry-After": "1"} if error.status == 503 else {}
            self.send_json(error.status, {"jsonrpc": "2.0", "id": request_id, "error": {"code": error.code, "message": error.message}}, headers)

    def stream(self, request_id, legacy, text, context_id):
        """SSE over chunked encoding: the task as it starts (so the caller learns its id), then its end."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(result):
            data = "data: {}\n\n".format(json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result})).encode()
            self.wfile.write("{:x}\r\n".format(len(data)).encode() + data + b"\r\n")
            self.wfile.flush()

        try:
            pending = {"id": str(uuid.uuid4()), "contextId": context_id, "input": text}
            send(v03_task(pending, final=False) if legacy else {"task": v1_task(pending, final=False)})
            task = run_task(pending["id"], text, context_id)
            for event in (v03_events(task) if legacy else v1_events(task)):
                send(event)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the caller went away (cancelled or timed out)


def exit_when_supervisor_gone():
    """Under the supervisor: exit when it is gone (stdin pipe closed, or we were re-parented)."""
    supervisor_pid = os.environ.get("LIGHTNING_SUPERVISOR_PID")
    if not supervisor_pid:
        return

    def watch_stdin():
        # The raw descriptor, never sys.stdin: a daemon thread blocked inside the buffered reader
        # holds its lock, and Python aborts at exit ("Fatal Python error: _enter_buffered_busy")
        # when SIGTERM ends the main thread. os.read holds no lock at all.
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        os._exit(0)

    def watch_parent():
        while os.getppid() == int(supervisor_pid):
            time.sleep(0.25)
        os._exit(0)

    mode = os.fstat(0).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):  # a pipe from the supervisor (Node makes it a socket)
        threading.Thread(target=watch_stdin, daemon=True).start()
    threading.Thread(target=watch_parent, daemon=True).start()


def join_supervisor():
    """Register with $LIGHTNING_SUPERVISOR and renew the lease every third of it, for good."""
    if not (SUPERVISOR and JOIN_TOKEN):
        return
    url = SUPERVISOR.rstrip("/") + "/v1/agents/register"
    body = json.dumps({"url": ADVERTISE, "name": NAME, "ttlMs": LEASE_MS}).encode()

    def beat():
        joined = False
        while True:
            request = urllib.request.Request(url, data=body, method="POST", headers={
                "content-type": "application/json", "authorization": "Bearer " + JOIN_TOKEN})
            try:
                with urllib.request.urlopen(request, timeout=3) as response:
                    answer = json.loads(response.read() or b"{}")
                if not joined:
                    print("joined {} as {} (lease {} ms)".format(SUPERVISOR, answer.get("id"), LEASE_MS), flush=True)
                joined = True
            except urllib.error.HTTPError as error:
                reason = error.read().decode("utf-8", "replace")
                if not joined and error.code < 500:  # a bad token or an unreachable card: say so, stop
                    print("{}: could not join {}: HTTP {} {}".format(NAME, SUPERVISOR, error.code, reason), file=sys.stderr, flush=True)
                    os._exit(1)
                print("heartbeat to {} failed: HTTP {}".format(SUPERVISOR, error.code), file=sys.stderr, flush=True)
            except OSError as error:  # the supervisor restarting or unreachable: keep trying
                print("heartbeat to {} failed: {}".format(SUPERVISOR, error), file=sys.stderr, flush=True)
            time.sleep(max(0.25, LEASE_MS / 3000.0))

    threading.Thread(target=beat, daemon=True).start()


def main():
    try:
        server = ThreadingHTTPServer((HOST, PORT), Handler)
    except OSError as error:
        sys.exit("{}: cannot listen on {}:{}: {}".format(NAME, HOST, PORT, error.strerror or error))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    exit_when_supervisor_gone()
    join_supervisor()
    print("{} listening on http://{}:{}".format(NAME, HOST, PORT), flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
