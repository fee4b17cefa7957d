"""A throwaway PostgreSQL + PostGIS server for the tests: real database, no mocks.

Registered as a plugin by ``tests/conftest.py``. The first test that asks for :func:`pg_database`
starts one cluster for the whole run (``initdb`` into a temporary folder, ``pg_ctl start`` on a
free port of 127.0.0.1 and a socket in that folder; as the ``postgres`` user when the tests run
as root, since the server refuses root), creates a password-protected role and a template
database with PostGIS, and gives each xdist worker its own database made from the template.
The process that started pytest (the xdist controller, or the only process) stops the server
and removes the folder at the end. The folder is shared through an environment variable set
before the workers start, and a file lock makes the workers start the server once.

PostgreSQL is found under ``/usr/lib/postgresql/*/bin`` (the newest version that has PostGIS)
or on ``PATH``. Without it the database tests are skipped with the reason, unless
``GEOPROSPECT_REQUIRE_POSTGIS=1`` (CI), which makes that a failure.

:func:`start_server` / :func:`stop_server` are also what ``benchmarks/bench_postgis.py`` uses.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

STATE_ENV = "GEOPROSPECT_TEST_PG_FOLDER"
REQUIRE_ENV = "GEOPROSPECT_REQUIRE_POSTGIS"
ROLE = "geoprospect_test"
PASSWORD = "Pw-7f2a-NOT-SHOWN-q93"
"""The role's password: distinctive, so that tests can assert it appears in no output."""
TEMPLATE = "geoprospect_template"
SERVER_SETTINGS = ("listen_addresses=127.0.0.1", "max_connections=40")
FAST_SETTINGS = (*SERVER_SETTINGS, "fsync=off", "synchronous_commit=off", "full_page_writes=off")
"""The tests' server does not make data durable (a throwaway); the benchmark's does."""


@dataclass(frozen=True)
class Server:
    bin: str
    folder: str
    port: int
    socket_dir: str
    postgis: bool
    reason: str = ""


@dataclass(frozen=True)
class Database:
    """One test database: ``uri`` (no password in it; ``PGPASSWORD`` is set), ``plain_uri`` (a
    database without PostGIS), ``admin()`` (a superuser connection over the socket)."""

    server: Server
    name: str

    @property
    def uri(self) -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.server.port}/{self.name}"

    @property
    def plain_uri(self) -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.server.port}/{self.name}_plain"

    @property
    def password(self) -> str:
        return PASSWORD

    def admin(self, dbname: str | None = None):
        import psycopg

        return psycopg.connect(host=self.server.socket_dir, port=self.server.port, user="postgres",
                               dbname=dbname or self.name, autocommit=True)

    def query(self, sql: str, params=None) -> list:
        """Rows of ``sql`` run as the superuser (``[]`` for a statement without rows)."""
        with self.admin() as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []


# ------------------------------------------------------------------ pytest hooks
def pytest_configure(config) -> None:
    if hasattr(config, "workerinput") or os.environ.get(STATE_ENV):
        return
    folder = tempfile.mkdtemp(prefix="geoprospect-pg-")
    os.chmod(folder, 0o755)  # the postgres user must reach its data folder inside
    os.environ[STATE_ENV] = folder  # the xdist workers, started after this, inherit it
    config._geoprospect_pg_folder = folder


def pytest_unconfigure(config) -> None:
    folder = getattr(config, "_geoprospect_pg_folder", None)
    if not folder:
        return
    state = Path(folder) / "server.json"
    if state.exists():
        stop_server(Server(**json.loads(state.read_text())))
    shutil.rmtree(folder, ignore_errors=True)
    os.environ.pop(STATE_ENV, None)


@pytest.fixture(scope="session")
def pg_server() -> Server:
    """The run's server (started on first use)."""
    folder = os.environ.get(STATE_ENV)
    if not folder:
        _unavailable("the PostGIS test plugin was not configured")
    with _locked(Path(folder) / "lock"):
        state = Path(folder) / "server.json"
        if state.exists():
            server = Server(**json.loads(state.read_text()))
        else:
            server = start_server(Path(folder), FAST_SETTINGS)
            state.write_text(json.dumps(server.__dict__))
    if not server.postgis:
        _unavailable(server.reason)
    return server


@pytest.fixture(scope="session")
def pg_database(pg_server, worker_id) -> Database:
    """This worker's database (with PostGIS) and its twin without; ``PGPASSWORD`` set."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'geoprospect[postgis]')")
    name = re.sub(r"\W", "_", f"gp_{worker_id}")
    db = Database(pg_server, name)
    create_database(pg_server, name)
    create_database(pg_server, f"{name}_plain", "template0")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PGPASSWORD", PASSWORD)
        mp.setenv("PGPASSFILE", os.devnull)  # never the developer's ~/.pgpass
        mp.delenv("PGSERVICE", raising=False)
        yield db


@pytest.fixture
def pg(pg_database) -> Database:
    """This worker's database, emptied of the tables the previous test left."""
    with pg_database.admin() as conn:
        for schema, table in conn.execute(
                "SELECT schemaname, tablename FROM pg_tables WHERE tableowner = %s", [ROLE]).fetchall():
            conn.execute(f'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE')
    return pg_database


# ------------------------------------------------------------------ the server
def _unavailable(reason: str):
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{REQUIRE_ENV} is set but {reason}")
    pytest.skip(reason)


def find_bin() -> tuple[str | None, bool]:
    """The bin folder of the newest PostgreSQL that has PostGIS (else the newest), and whether
    it has PostGIS."""
    found = []
    for folder in glob.glob("/usr/lib/postgresql/*/bin"):
        version = Path(folder).parent.name
        if os.access(f"{folder}/initdb", os.X_OK) and os.access(f"{folder}/pg_ctl", os.X_OK):
            postgis = bool(glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"))
            found.append((postgis, _version(version), folder))
    if not found and shutil.which("initdb") and shutil.which("pg_ctl"):
        return str(Path(shutil.which("pg_ctl")).resolve().parent), True  # checked by CREATE EXTENSION
    if not found:
        return None, False
    postgis, _, folder = max(found)
    return folder, postgis


def _version(text: str) -> tuple:
    return tuple(int(p) for p in re.findall(r"\d+", text))


def _as_postgres() -> dict:
    if os.geteuid() != 0:
        return {}
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("the tests run as root and there is no postgres user to run the server") from None
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
                          cwd="/", **_as_postgres(), **kwargs)


def start_server(folder: Path, settings: tuple = SERVER_SETTINGS) -> Server:
    """initdb into ``folder``/pg, start on a free port of 127.0.0.1 and a socket there, create the
    password role and the PostGIS template; ``Server.postgis`` False and ``reason`` say why not."""
    bin_dir, postgis = find_bin()
    if bin_dir is None:
        return Server("", str(folder), 0, "", False,
                      "PostgreSQL is not installed (apt-get install postgresql postgis; `make test` does it)")
    pg = folder / "pg"
    pg.mkdir(mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(pg, "postgres", "postgres")
    try:
        _run([f"{bin_dir}/initdb", "-D", str(pg / "data"), "-U", "postgres", "-E", "UTF8",
              "--no-locale", "--auth-local=trust", "--auth-host=scram-sha-256"])
        (pg / "data" / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        port = _free_port()
        options = f"-k {pg} -p {port} " + " ".join(f"-c {s}" for s in settings)
        _run([f"{bin_dir}/pg_ctl", "-D", str(pg / "data"), "-l", str(pg / "log"), "-o", options, "-w",
              "-t", "60", "start"])
    except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return Server(bin_dir, str(folder), 0, "", False, f"cannot start PostgreSQL: {detail.strip()[:300]}")
    server = Server(bin_dir, str(folder), port, str(pg), postgis)
    return _prepare(server)


def stop_server(server: Server) -> None:
    """Stop the server (immediately: its data is thrown away)."""
    if server.bin and server.port:
        with contextlib.suppress(Exception):
            _run([f"{server.bin}/pg_ctl", "-D", f"{server.folder}/pg/data", "-m", "immediate", "-w", "stop"])


def create_database(server: Server, name: str, template: str = TEMPLATE) -> str:
    """A fresh database owned by the test role; its URI (the password is :data:`PASSWORD`)."""
    import psycopg

    with psycopg.connect(host=server.socket_dir, port=server.port, user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" OWNER {ROLE}')
    return f"postgresql://{ROLE}@127.0.0.1:{server.port}/{name}"


def _prepare(server: Server) -> Server:
    import psycopg

    with psycopg.connect(host=server.socket_dir, port=server.port, user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'")
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    with psycopg.connect(host=server.socket_dir, port=server.port, user="postgres", dbname=TEMPLATE,
                         autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION postgis")
        except psycopg.Error as exc:
            return Server(**{**server.__dict__, "postgis": False,
                             "reason": f"PostGIS is not installed for this PostgreSQL ({exc}); "
                                       "apt-get install postgresql-<version>-postgis-3"})
    return server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "a") as fh:
        deadline = time.monotonic() + 300
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path}: another worker holds the lock") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
