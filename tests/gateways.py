"""Test gateways that record every call, for tests and benchmarks of delivery.

``RecordingSmsGateway`` is an SMS centre kept in a folder that every process of a test shares
(the test itself and the worker processes it starts, which name the class in ``SMS_BACKEND``
and the folder in ``TEST_SMS_GATEWAY_DIR``). Like a real SMS centre it honours idempotency
keys: a key it accepted before is answered "accepted" again without a second delivery. Each
call is a line of ``calls.jsonl``, so a test can count deliveries per key. Files in the folder
steer it, like an outage would: ``down`` (every call fails), ``delay`` (seconds each call
takes), ``hang-after-accept`` (a call accepts, then never answers: a worker can be killed in
the worst moment).
"""

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection


class GatewayUnavailable(ConnectionError):
    pass


class RecordingSmsGateway:
    def __init__(self, folder: Path | str | None = None):
        self.folder = Path(folder or os.environ["TEST_SMS_GATEWAY_DIR"])

    # --- the SmsBackend interface ---------------------------------------------------------

    def send(self, message, body: str, *, idempotency_key: str) -> None:
        if (self.folder / "down").exists():
            with self._locked():
                self._write({"key": idempotency_key, "outcome": "refused"})
            raise GatewayUnavailable("SMS centre unavailable")
        delay = self.folder / "delay"
        if delay.exists():
            time.sleep(float(delay.read_text()))
        with self._locked():
            repeat = self._seen(idempotency_key)
            self._write(
                {
                    "key": idempotency_key,
                    "msisdn": message.msisdn,
                    "body": body,
                    "outcome": "repeat" if repeat else "delivered",
                    "in_transaction": connection.in_atomic_block,
                    "pid": os.getpid(),
                }
            )
        if (self.folder / "hang-after-accept").exists():
            time.sleep(3600)

    # --- what the test reads and sets -------------------------------------------------------

    def calls(self) -> list[dict]:
        log = self.folder / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line]

    def accepted_keys(self) -> set[str]:
        return {call["key"] for call in self.calls() if call["outcome"] == "delivered"}

    def deliveries_per_key(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.calls():
            if call["outcome"] == "delivered":
                counts[call["key"]] = counts.get(call["key"], 0) + 1
        return counts

    def set_down(self, down: bool) -> None:
        self._flag("down", down)

    def set_delay(self, seconds: float) -> None:
        (self.folder / "delay").write_text(str(seconds))

    def set_hang_after_accept(self, hang: bool) -> None:
        self._flag("hang-after-accept", hang)

    def _flag(self, name: str, on: bool) -> None:
        path = self.folder / name
        if on:
            path.touch()
        else:
            path.unlink(missing_ok=True)

    def _seen(self, key: str) -> bool:
        """Whether the key was accepted before (a marker file per key: no log to re-read)."""
        marker = self.folder / "keys" / key
        marker.parent.mkdir(exist_ok=True)
        if marker.exists():
            return True
        marker.touch()
        return False

    @contextmanager
    def _locked(self):
        with (self.folder / "lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, record: dict) -> None:
        with (self.folder / "calls.jsonl").open("a") as log:
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
