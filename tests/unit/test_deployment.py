"""The deployment files a volunteer uses: Dockerfile, .dockerignore, compose.yaml and the systemd
unit deploy/copbot.service.

What needs no tool is always checked (the Dockerfile's instructions, the unit's settings, and the
compose file's structure when a YAML parser is at hand). What needs a tool runs where the tool is
installed and skips, saying which tool is missing, where it is not: `docker compose config`,
`systemd-analyze verify`, and `docker build` (minutes long and it pulls images: only with
COPBOT_TEST_DOCKER=1). Those skips are about missing programs, not servers, so they skip under
CI=true too.
"""

from __future__ import annotations

import configparser
import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot import __version__
from bot.config import DEFAULT_SQLITE_FILE, Settings, platform_data_folder

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "compose.yaml"
COMPOSE_SHARDED = ROOT / "deploy" / "compose.sharded.yaml"
UNIT = ROOT / "deploy" / "copbot.service"
PYPROJECT = ROOT / "pyproject.toml"

MISSING_TOOL = "(a missing program, not a server: skipping is right even with CI=true)"


# --- Dockerfile ---------------------------------------------------------------------------------


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """The instructions as (KEYWORD, arguments), continuation lines joined, one list per FROM."""
    stages: list[list[tuple[str, str]]] = []
    logical = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        keyword, _, arguments = logical.partition(" ")
        logical = ""
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), " ".join(arguments.split())))
    return stages


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    """The ENV settings of a stage, in the `ENV KEY=value KEY=value` form."""
    settings: dict[str, str] = {}
    for keyword, arguments in stage:
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                settings[key] = value
    return settings


def test_dockerfile_parser_joins_continued_lines_and_splits_stages() -> None:
    text = "# top\nFROM a AS b\nRUN x \\\n    # why\n    && y\nFROM c\nUSER u\n"
    assert dockerfile_stages(text) == [
        [("FROM", "a AS b"), ("RUN", "x && y")],
        [("FROM", "c"), ("USER", "u")],
    ]


def test_the_image_runs_copbot_as_an_unprivileged_user_with_its_data_in_a_volume() -> None:
    stages = dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))
    final = stages[-1]
    keywords = [keyword for keyword, _ in final]

    users = [arguments for keyword, arguments in final if keyword == "USER"]
    assert users == ["copbot"]
    # The user is set after everything that needs root, and is made a system user there.
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k in ("RUN", "COPY"))
    assert any(
        keyword == "RUN" and arguments.startswith("useradd --system") and " copbot " in arguments
        for keyword, arguments in final
    )

    assert [arguments for keyword, arguments in final if keyword == "VOLUME"] == ["/data"]
    assert [json.loads(arguments) for keyword, arguments in final if keyword == "CMD"] == [
        ["copbot", "run"]
    ]
    assert "ENTRYPOINT" not in keywords

    # Without DATABASE_URL, copbot's own rule puts the SQLite file inside the volume.
    env = env_of(final)
    assert "DATABASE_URL" not in env
    folder = platform_data_folder(env, platform="linux", home=Path("/nonexistent"))
    assert folder == Path("/data/copbot")
    assert env["PATH"].split(":")[0] == "/opt/copbot/bin"


def test_the_image_installs_the_tree_at_the_tested_versions_on_the_tested_python() -> None:
    stages = dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))
    assert [stage[0] for stage in stages] == [
        ("FROM", "python:3.11-slim AS build"),
        ("FROM", "python:3.11-slim"),
    ]
    # constraints.txt was compiled with the Python the image has.
    assert "by pip-compile with Python 3.11" in (ROOT / "constraints.txt").read_text("utf-8")

    build = stages[0]
    runs = [arguments for keyword, arguments in build if keyword == "RUN"]
    assert runs == [
        "python -m venv /opt/copbot && /opt/copbot/bin/pip install -c constraints.txt ."
    ]
    copied = {
        source
        for keyword, arguments in build
        if keyword == "COPY"
        for source in arguments.split()[:-1]
    }
    # Every package setuptools installs, and what the build reads besides them.
    packages = tomllib.loads(PYPROJECT.read_text("utf-8"))["tool"]["setuptools"]["packages"]
    wanted = {pattern.rstrip("*") for pattern in packages["find"]["include"]}
    assert copied == {"pyproject.toml", "constraints.txt", "README.md"} | wanted
    assert all((ROOT / source).exists() for source in copied)

    final = stages[-1]
    assert ("COPY", "--from=build /opt/copbot /opt/copbot") in final


def test_dockerignore_keeps_secrets_and_data_out_and_lets_the_build_inputs_in() -> None:
    ignored = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", "data/", "*.sqlite3", ".git/", ".venv/"} <= ignored
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "bot", "cogs", "storage"):
        assert needed not in ignored and f"{needed}/" not in ignored


# --- compose.yaml -------------------------------------------------------------------------------


def compose_as_data(path: Path = COMPOSE) -> dict[str, Any] | None:
    """A compose file read by PyYAML: in this interpreter, or else in a Python on PATH that has
    it (the check needs a YAML parser, copbot does not: no dependency is added for it)."""
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        pass
    else:
        loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        return loaded
    program = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
    for name in ("python3", "python3.11", "python"):
        interpreter = shutil.which(name)
        if interpreter is None or Path(interpreter).resolve() == Path(sys.executable).resolve():
            continue
        done = subprocess.run(
            [interpreter, "-c", program, str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if done.returncode == 0:
            from_other: dict[str, Any] = json.loads(done.stdout)
            return from_other
    return None


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = compose_as_data()
    if data is None:
        pytest.skip(f"no YAML parser: PyYAML is in no Python on PATH {MISSING_TOOL}")
    return data


def test_compose_runs_copbot_and_postgresql_with_a_health_check(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"copbot", "postgres"}

    postgres = services["postgres"]
    assert postgres["image"] == "postgres:16"
    assert postgres["restart"] == "unless-stopped"
    assert postgres["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert "ports" not in postgres  # reachable from copbot only
    environment = postgres["environment"]
    assert (environment["POSTGRES_USER"], environment["POSTGRES_DB"]) == ("copbot", "copbot")
    assert environment["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    health = postgres["healthcheck"]
    assert health["test"] == ["CMD-SHELL", "pg_isready --username=copbot --dbname=copbot"]
    assert (health["interval"], health["retries"]) == ("10s", 5)

    copbot = services["copbot"]
    assert copbot["build"] == "."
    assert copbot["restart"] == "unless-stopped"
    assert copbot["env_file"] == ".env"
    assert copbot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert copbot["volumes"] == ["copbot-data:/data"]
    assert set(compose["volumes"]) == {"postgres-data", "copbot-data"}


def test_compose_database_url_is_one_copbot_accepts_for_the_postgres_service(
    compose: dict[str, Any],
) -> None:
    written = compose["services"]["copbot"]["environment"]["DATABASE_URL"]
    password_reference = compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    # What compose makes of it once .env gives the password.
    url = written.replace(password_reference, "s3cret")
    settings = Settings.from_env({"DATABASE_URL": url}, dotenv=False)
    assert settings.database_url == "postgresql+asyncpg://copbot:s3cret@postgres:5432/copbot"


@pytest.fixture(scope="module")
def compose_sharded() -> dict[str, Any]:
    data = compose_as_data(COMPOSE_SHARDED)
    if data is None:
        pytest.skip(f"no YAML parser: PyYAML is in no Python on PATH {MISSING_TOOL}")
    return data


def test_the_sharded_example_runs_every_shard_once_on_the_one_database(
    compose: dict[str, Any], compose_sharded: dict[str, Any]
) -> None:
    """deploy/compose.sharded.yaml added to compose.yaml: two copbot processes whose slices
    cover the shards exactly once, each with the database of the postgres service."""
    base, added = compose["services"], compose_sharded["services"]
    assert set(added) == {"copbot", "copbot-shard-1"}
    extended = added["copbot-shard-1"]["extends"]
    # Paths in an added file are read from the first file's folder.
    assert extended == {"file": "compose.yaml", "service": "copbot"}
    processes = {
        name: {**base["copbot"]["environment"], **service["environment"]}
        for name, service in added.items()
    }
    url = base["copbot"]["environment"]["DATABASE_URL"]
    password = compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    slices = []
    for environment in processes.values():
        assert environment["DATABASE_URL"] == url
        settings = Settings.from_env(
            {**environment, "DATABASE_URL": url.replace(password, "s3cret")}, dotenv=False
        )
        slices.append((settings.shard_count, settings.shard_ids))
    counts = {count for count, _ in slices}
    assert counts == {2}
    shards = sorted(shard for _, ids in slices for shard in ids or ())
    assert shards == list(range(2))  # each shard run by exactly one process
    # Each process writes its files to a volume of its own.
    assert added["copbot-shard-1"]["volumes"] == ["copbot-shard-1-data:/data"]
    assert set(compose_sharded["volumes"]) == {"copbot-shard-1-data"}


def compose_command() -> list[str] | None:
    """`docker compose` or `podman compose` when the compose plugin answers, else None."""
    for tool in ("docker", "podman"):
        if shutil.which(tool) is None:
            continue
        done = subprocess.run(
            [tool, "compose", "version"], capture_output=True, timeout=30, check=False
        )
        if done.returncode == 0:
            return [tool, "compose"]
    return None


def test_docker_compose_config_accepts_the_compose_file(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip(f"no `docker compose` or `podman compose` here {MISSING_TOOL}")
    shutil.copy(COMPOSE, tmp_path / "compose.yaml")
    shutil.copy(DOCKERFILE, tmp_path / "Dockerfile")
    (tmp_path / ".env").write_text(
        "DISCORD_TOKEN=not-a-token\nPOSTGRES_PASSWORD=s3cret\n", encoding="utf-8"
    )
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "COMPOSE_"))
    }
    done = subprocess.run(
        [*command, "-f", "compose.yaml", "config", "-q"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    # With the sharded example added: two copbot processes on the one database.
    (tmp_path / "deploy").mkdir()
    shutil.copy(COMPOSE_SHARDED, tmp_path / "deploy" / COMPOSE_SHARDED.name)
    sharded = subprocess.run(
        [*command, "-f", "compose.yaml", "-f", "deploy/compose.sharded.yaml", "config",
         "--services"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert sharded.returncode == 0, sharded.stderr
    assert set(sharded.stdout.split()) == {"copbot", "copbot-shard-1", "postgres"}

    # Without the password compose refuses to start, saying what to set.
    (tmp_path / ".env").write_text("DISCORD_TOKEN=not-a-token\n", encoding="utf-8")
    refused = subprocess.run(
        [*command, "-f", "compose.yaml", "config", "-q"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in refused.stderr


# --- the systemd unit ---------------------------------------------------------------------------


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",))
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    unit.read(path, encoding="utf-8")
    return unit


def test_the_unit_runs_copbot_as_its_own_user_restarts_it_and_hardens_it() -> None:
    unit = read_unit(UNIT)
    assert unit.sections() == ["Unit", "Service", "Install"]
    service = unit["Service"]
    assert service["Type"] == "simple"
    assert (service["User"], service["Group"]) == ("copbot", "copbot")
    assert service["WorkingDirectory"] == "/opt/copbot"
    assert service["ExecStart"] == "/opt/copbot/.venv/bin/copbot run"
    assert (service["Restart"], service["RestartSec"]) == ("on-failure", "10")
    assert service["NoNewPrivileges"] == "yes"
    assert service["PrivateTmp"] == "yes"
    assert service["ProtectSystem"] == "strict"
    # The one writable folder is where copbot puts its SQLite file next to .env (bot/config.py).
    data_folder = Path(service["WorkingDirectory"]) / DEFAULT_SQLITE_FILE.parent
    assert service["ReadWritePaths"] == str(data_folder)
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in unit["Unit"]["After"].split()


# The unit names the path an installation creates; on a machine without it, verify says so.
# That line, and only that line, is expected.
EXPECTED_WHEN_NOT_INSTALLED = (
    "copbot.service: Command /opt/copbot/.venv/bin/copbot is not executable: "
    "No such file or directory"
)


def systemd_verify(path: Path) -> list[str]:
    """What `systemd-analyze verify` says about the unit, less the expected line above."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip(f"systemd-analyze is not installed {MISSING_TOOL}")
    done = subprocess.run(
        [analyze, "verify", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    said = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    complaints = [line for line in said if line != EXPECTED_WHEN_NOT_INSTALLED]
    if not complaints:  # a failure with nothing said would be a complaint too
        assert done.returncode == 0 or said == [EXPECTED_WHEN_NOT_INSTALLED], done.returncode
    return complaints


def test_systemd_analyze_verify_accepts_the_unit() -> None:
    assert systemd_verify(UNIT) == []


def test_systemd_analyze_verify_would_report_a_mistake_in_the_unit(tmp_path: Path) -> None:
    """The filter above lets one line through, not every complaint."""
    broken = tmp_path / "copbot.service"
    text = UNIT.read_text(encoding="utf-8")
    broken.write_text(
        text.replace("Restart=on-failure", "Restart=on-failur").replace(
            "ProtectSystem=strict", "ProtectSytem=strict"
        ),
        encoding="utf-8",
    )
    complaints = systemd_verify(broken)
    assert len(complaints) == 2
    assert "on-failur" in complaints[0]
    assert "Unknown key 'ProtectSytem'" in complaints[1]


# --- docker build (opt-in) ----------------------------------------------------------------------


def container_tool_or_skip() -> str:
    """docker (or podman) with a daemon that answers and a registry it can pull from."""
    if os.environ.get("COPBOT_TEST_DOCKER") != "1":
        pytest.skip("docker build takes minutes and pulls images: set COPBOT_TEST_DOCKER=1")
    for name in ("docker", "podman"):
        tool = shutil.which(name)
        if tool is None:
            continue
        info = subprocess.run([tool, "info"], capture_output=True, timeout=20, check=False)
        if info.returncode != 0:
            continue
        try:
            pulled = subprocess.run(
                [tool, "pull", "-q", "python:3.11-slim"],
                capture_output=True,
                timeout=120,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"{name} cannot pull python:3.11-slim within 2 minutes")
        if pulled.returncode != 0:
            pytest.skip(f"{name} cannot pull python:3.11-slim (no registry access?)")
        return tool
    pytest.skip("COPBOT_TEST_DOCKER=1, but no docker or podman here whose daemon answers `info`")


@pytest.mark.timeout(1800)
def test_the_image_builds_and_runs_copbot_as_a_user_that_is_not_root() -> None:
    tool = container_tool_or_skip()
    tag = f"copbot-test:{uuid.uuid4().hex[:12]}"
    try:
        built = subprocess.run(
            [tool, "build", "-t", tag, str(ROOT)],
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
        assert built.returncode == 0, built.stderr[-4000:]

        def run_in_image(*command: str) -> str:
            done = subprocess.run(
                [tool, "run", "--rm", tag, *command],
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            return done.stdout.strip()

        assert run_in_image("copbot", "--version") == f"copbot {__version__}"
        assert run_in_image("id", "-un") == "copbot"
        assert run_in_image("id", "-u") != "0"
        # Without a .env, copbot's database is the volume's file.
        assert (
            run_in_image(
                "python",
                "-c",
                "from bot.config import Settings; print(Settings.from_env().database_url)",
            )
            == "sqlite+aiosqlite:////data/copbot/copbot.sqlite3"
        )
    finally:
        subprocess.run([tool, "rmi", "-f", tag], capture_output=True, timeout=120, check=False)
