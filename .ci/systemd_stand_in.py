"""A stand-in for the few ``systemctl`` commands that README's Production recipe and CI use, on
machines whose PID 1 is not systemd (CI containers). ``.ci/bin/systemctl`` runs it.

It runs what a unit file says, the way systemd does: the [Service] section's
``EnvironmentFile=`` and ``Environment=`` (nothing of the caller's environment but systemd's
default PATH), ``User=``/``Group=``, ``WorkingDirectory=``, ``ExecStart=`` with ``${VAR}`` and
``$VAR`` expanded from that environment, ``Type=notify`` readiness through ``NOTIFY_SOCKET``,
``Restart=``/``RestartSec=``, and on stop ``KillSignal=``, ``KillMode=`` and
``TimeoutStopSec=``. One small supervisor process per unit plays systemd's part; its lines and
the service's output go to ``$SYSTEMD_STAND_IN_DIR/<unit>.log`` (the journal). Sandboxing
(``NoNewPrivileges=``, ``PrivateTmp=``) and ordering (``After=``) are not emulated;
``systemd-analyze verify`` checks the unit files before they start.

    systemctl daemon-reload                              nothing to do
    systemctl enable --now /path/to/a.service ...        start each, wait until it is started
    systemctl stop a.service ...                         stop all at once; fails if one had to
                                                         be killed or did not exit cleanly
    systemctl is-active a.service ...
    systemctl show --property MainPID --value a.service
"""

import contextlib
import grp
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# systemd's default PATH for services, and the exits it counts as clean for Type=simple/notify.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
CLEAN_SIGNALS = {signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE}
POLL_SECONDS = 0.2
# What the shell and systemd read alike in an environment file: no quotes, spaces, `$`,
# backslashes or backquotes, which each would read differently.
ENV_LINE = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>[^\s'\"$\\`]*)")
SYSTEMD_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StandInError(Exception):
    """A unit or an environment file this stand-in (or systemd) would refuse."""


@dataclass
class Unit:
    path: Path
    name: str
    service: dict[str, list[str]] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        values = self.service.get(key) or [default]
        return values[-1]

    def seconds(self, key: str, default: float) -> float:
        raw = self.get(key, str(default))
        match = re.fullmatch(r"(\d+(?:\.\d+)?)(s|min)?", raw)
        if not match:
            raise StandInError(f"{self.name}: {key}={raw} is not understood by the stand-in")
        return float(match[1]) * (60 if match[2] == "min" else 1)


def read_unit(path: Path) -> Unit:
    """The [Service] section; a repeated key keeps every value, an empty one resets the list."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line[0] in "#;"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        if not sep or current is None:
            raise StandInError(f"{path}: cannot read line {raw!r}")
        key, value = key.strip(), value.strip()
        if value:
            current.setdefault(key, []).append(value)
        else:
            current[key] = []
    if "Service" not in sections:
        raise StandInError(f"{path}: no [Service] section")
    return Unit(path=path, name=path.name, service=sections["Service"])


def read_environment_file(path: Path) -> dict[str, str]:
    values = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        match = ENV_LINE.fullmatch(line)
        if not match:
            raise StandInError(
                f"{path}:{number}: not KEY=value without quotes, spaces or $ "
                "(systemd and the shell would read it differently)"
            )
        values[match["key"]] = match["value"]
    return values


def unit_environment(unit: Unit) -> dict[str, str]:
    env = {"PATH": DEFAULT_PATH}
    user = unit.get("User")
    if user:
        account = pwd.getpwnam(user)
        env |= {"USER": user, "LOGNAME": user, "HOME": account.pw_dir, "SHELL": account.pw_shell}
    for assignments in unit.service.get("Environment", []):
        for word in shlex.split(assignments):
            key, sep, value = word.partition("=")
            if not sep:
                raise StandInError(f"{unit.name}: Environment={assignments} is not KEY=value")
            env[key] = value
    # As in systemd, the files' settings override Environment=.
    for name in unit.service.get("EnvironmentFile", []):
        optional = name.startswith("-")
        path = Path(name.removeprefix("-"))
        if optional and not path.exists():
            continue
        env |= read_environment_file(path)
    return env


def command_line(unit: Unit, env: dict[str, str]) -> list[str]:
    """ExecStart= split like systemd: ``$VAR`` alone splits into words, ``${VAR}`` is one."""
    lines = unit.service.get("ExecStart", [])
    if len(lines) != 1:
        raise StandInError(f"{unit.name}: needs exactly one ExecStart=, has {len(lines)}")
    line = lines[0]
    if line[0] in "-@:+!" or re.search(r"%[^%]", line):
        raise StandInError(f"{unit.name}: ExecStart prefixes and specifiers are not emulated")
    argv = []
    for word in shlex.split(line.replace("%%", "%")):
        alone = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if alone:
            argv.extend(env.get(alone[1], "").split())
        else:
            argv.append(SYSTEMD_VARIABLE.sub(lambda m: env.get(m[1], ""), word))
    return argv


# --- State kept per unit ---------------------------------------------------------------------


def state_root() -> Path:
    root = os.environ.get("SYSTEMD_STAND_IN_DIR")
    if not root:
        raise StandInError("SYSTEMD_STAND_IN_DIR must name the stand-in's state directory")
    return Path(root)


def unit_name(name: str) -> str:
    return name if name.endswith(".service") else f"{name}.service"


def state_dir(name: str) -> Path:
    return state_root() / unit_name(name)


def write_state(name: str, **values: object) -> None:
    directory = state_dir(name)
    for key, value in values.items():
        (directory / f"{key}.tmp").write_text(str(value))
        (directory / f"{key}.tmp").replace(directory / key)


def read_state(name: str, key: str, default: str = "") -> str:
    try:
        return (state_dir(name) / key).read_text()
    except FileNotFoundError:
        return default


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # Reparented to a PID 1 that may not reap: a zombie has exited.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def say(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S %z')} stand-in: {message}", flush=True)


# --- The supervisor: systemd's part for one unit ---------------------------------------------


class Supervisor:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.stopping = False
        signal.signal(signal.SIGTERM, self._request_stop)

    def _request_stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self) -> None:
        unit = self.unit
        policy = unit.get("Restart", "no")
        if policy not in {"no", "always", "on-failure"}:
            raise StandInError(f"{unit.name}: Restart={policy} is not emulated")
        while True:
            started = self.start()
            if started is None:
                clean = False
            else:
                child = started
                while child.poll() is None and not self.stopping:
                    time.sleep(POLL_SECONDS)
                if self.stopping:
                    self.stop(child)
                    return
                clean = self.clean(child.returncode)
                say(f"{unit.name}: main process exited, {self.describe(child.returncode)}")
                self.kill_leftovers(child)
            if policy == "no" or (policy == "on-failure" and clean):
                write_state(unit.name, state="inactive" if clean else "failed", main_pid=0)
                return
            delay = unit.seconds("RestartSec", 0.1)
            write_state(unit.name, state="activating", main_pid=0)
            say(f"{unit.name}: scheduled restart in {delay:g} s (Restart={policy})")
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline and not self.stopping:
                time.sleep(POLL_SECONDS)
            if self.stopping:
                write_state(unit.name, state="inactive", main_pid=0, result="stopped")
                return

    def start(self) -> subprocess.Popen | None:
        unit = self.unit
        kind = unit.get("Type", "simple")
        if kind not in {"simple", "exec", "notify"}:
            raise StandInError(f"{unit.name}: Type={kind} is not emulated")
        env = unit_environment(unit)
        argv = command_line(unit, env)
        user, group = unit.get("User"), unit.get("Group")
        uid = pwd.getpwnam(user).pw_uid if user else None
        gid = grp.getgrnam(group).gr_gid if group else (pwd.getpwnam(user).pw_gid if user else None)
        notify_dir = None
        if kind == "notify":
            notify_dir = Path(tempfile.mkdtemp(prefix="stand-in-notify-"))
            notify_dir.chmod(0o711)
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            notify.bind(str(notify_dir / "notify"))
            (notify_dir / "notify").chmod(0o666)
            notify.settimeout(POLL_SECONDS)
            env["NOTIFY_SOCKET"] = str(notify_dir / "notify")
        try:
            child = subprocess.Popen(  # noqa: S603  (the unit's own command line)
                argv,
                cwd=unit.get("WorkingDirectory") or "/",
                env=env,
                user=uid,
                group=gid,
                extra_groups=os.getgrouplist(user, gid) if user else None,
                umask=0o022,
                # Its own process group: the stand-in for the unit's control group.
                start_new_session=True,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            say(f"{unit.name}: failed to execute {argv[0]}: {exc}")
            write_state(unit.name, state="failed", main_pid=0)
            return None
        write_state(unit.name, main_pid=child.pid)
        if notify_dir is not None:
            try:
                if not self.wait_ready(child, notify):
                    return child
            finally:
                notify.close()
                shutil.rmtree(notify_dir, ignore_errors=True)
        write_state(unit.name, state="active")
        say(f"Started {unit.name} (main PID {child.pid}): {shlex.join(argv)}")
        return child

    def wait_ready(self, child: subprocess.Popen, notify: socket.socket) -> bool:
        deadline = time.monotonic() + self.unit.seconds("TimeoutStartSec", 90)
        while child.poll() is None and not self.stopping:
            try:
                message = notify.recv(4096)
            except TimeoutError:
                if time.monotonic() > deadline:
                    say(f"{self.unit.name}: start operation timed out, stopping")
                    self.stopping = True
                continue
            if b"READY=1" in message.split(b"\n"):
                return True
        return False

    def stop(self, child: subprocess.Popen) -> None:
        unit = self.unit
        write_state(unit.name, state="deactivating")
        kill_signal = signal.Signals[unit.get("KillSignal", "SIGTERM")]
        mode = unit.get("KillMode", "control-group")
        if mode not in {"control-group", "mixed", "process"}:
            raise StandInError(f"{unit.name}: KillMode={mode} is not emulated")
        timeout = unit.seconds("TimeoutStopSec", 90)
        started = time.monotonic()
        say(f"Stopping {unit.name}: {kill_signal.name} to the main process (KillMode={mode})")
        with contextlib.suppress(ProcessLookupError):
            if mode == "control-group":
                os.killpg(child.pid, kill_signal)
            else:
                os.kill(child.pid, kill_signal)
        try:
            returncode = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            say(f"{unit.name}: stop timed out after {timeout:g} s, killing")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            write_state(unit.name, state="failed", main_pid=0, result="timeout")
            return
        elapsed = time.monotonic() - started
        self.kill_leftovers(child)
        clean = self.clean(returncode)
        result = "success" if clean else "exit-code"
        say(f"Stopped {unit.name} in {elapsed:.1f} s, {self.describe(returncode)}")
        write_state(unit.name, state="inactive" if clean else "failed", main_pid=0, result=result)

    def kill_leftovers(self, child: subprocess.Popen) -> None:
        if self.unit.get("KillMode", "control-group") != "process":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)

    @staticmethod
    def clean(returncode: int) -> bool:
        return returncode == 0 or (returncode < 0 and -returncode in CLEAN_SIGNALS)

    @staticmethod
    def describe(returncode: int) -> str:
        if returncode < 0:
            return f"killed by {signal.Signals(-returncode).name}"
        return f"exit status {returncode}"


# --- systemctl's commands --------------------------------------------------------------------


def enable_now(paths: list[str]) -> int:
    units = [read_unit(Path(path).resolve()) for path in paths]
    analyze = shutil.which("systemd-analyze")
    if analyze:
        # What systemd would refuse (a missing binary, a misspelt setting) stops here.
        subprocess.run([analyze, "verify", *map(str, (u.path for u in units))], check=True)  # noqa: S603
    root = state_root()
    supervisors = {}
    for unit in units:
        if read_state(unit.name, "state") in {"active", "activating"}:
            raise StandInError(f"{unit.name} is already running")
        # Fail now on what would fail at start: the environment and the command line.
        command_line(unit, unit_environment(unit))
        (root / unit.name).mkdir(parents=True, exist_ok=True)
        write_state(unit.name, state="activating", main_pid=0, result="", unit=unit.path)
        with (root / f"{unit.name}.log").open("ab") as log:
            supervisor = subprocess.Popen(  # noqa: S603  (this script, as the unit's supervisor)
                [sys.executable, __file__, "--supervise", str(unit.path)],
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        write_state(unit.name, supervisor_pid=supervisor.pid)
        supervisors[unit.name] = supervisor
    status = 0
    for unit in units:
        deadline = time.monotonic() + unit.seconds("TimeoutStartSec", 90) + 5
        while (
            read_state(unit.name, "state") == "activating"
            and supervisors[unit.name].poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(POLL_SECONDS)
        state = read_state(unit.name, "state")
        if state == "active":
            print(f"Started {unit.name} (main PID {read_state(unit.name, 'main_pid')})")
        else:
            print(f"Job for {unit.name} failed ({state}); see {root / unit.name}.log")
            status = 1
    return status


def stop(names: list[str]) -> int:
    supervisors = {}
    for name in map(unit_name, names):
        if not state_dir(name).is_dir():
            print(f"Failed to stop {name}: Unit {name} not loaded.")
            return 5
        pid = int(read_state(name, "supervisor_pid", "0"))
        if pid and alive(pid):
            os.kill(pid, signal.SIGTERM)
            supervisors[name] = pid
    status = 0
    for name, pid in supervisors.items():
        unit = read_unit(Path(read_state(name, "unit")))
        deadline = time.monotonic() + unit.seconds("TimeoutStopSec", 90) + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        result = read_state(name, "result")
        print(f"{name}: {read_state(name, 'state')} (result: {result or 'unknown'})")
        if result != "success":
            status = 1
    return status


def is_active(names: list[str]) -> int:
    states = [read_state(unit_name(name), "state", "inactive") for name in names]
    print("\n".join(states))
    return 0 if all(state == "active" for state in states) else 3


def show_main_pid(name: str) -> int:
    print(read_state(unit_name(name), "main_pid", "0"))
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--supervise"]:
        Supervisor(read_unit(Path(argv[1]))).run()
        return 0
    words = [word for word in argv if not word.startswith("-")]
    flags = [word for word in argv if word.startswith("-")]
    command, args = (words[0], words[1:]) if words else ("", [])
    if command == "daemon-reload" and not args:
        return 0
    if command == "enable" and flags == ["--now"] and args:
        return enable_now(args)
    if command == "stop" and not flags and args:
        return stop(args)
    if command == "is-active" and not flags and args:
        return is_active(args)
    show_flags = (["--property", "--value"], ["-p", "--value"])
    if command == "show" and len(args) == 2 and args[0] == "MainPID" and flags in show_flags:
        return show_main_pid(args[1])
    print(f"systemctl stand-in: {' '.join(argv)!r} is not emulated", file=sys.stderr)
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (StandInError, OSError, subprocess.CalledProcessError) as exc:
        print(f"systemctl stand-in: {exc}", file=sys.stderr)
        sys.exit(1)
