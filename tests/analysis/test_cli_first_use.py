"""First use of the supplysim command: a quick start, discoverable commands, an installed
wheel that works, and scenario files that cannot run code behind the user's back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import agents
import scenarios
from analysis.cli import main
from scenarios.recommendation import BUILTIN as RECOMMENDATION_BUILTIN
from scenarios.scenario import ALLOW_CODE_ENV

ROOT = Path(__file__).parents[2]
HEAVY = ("pandas", "matplotlib", "scipy", "mesa", "torch")


@pytest.fixture(autouse=True)
def no_env_opt_in(monkeypatch):
    monkeypatch.delenv(ALLOW_CODE_ENV, raising=False)


# ---------------------------------------------------------------------- a quick start
@pytest.mark.parametrize(
    "command",
    [
        "import analysis.cli",
        "from analysis.cli import parser; parser().parse_args(['list'])",
        "from analysis.cli import main; main(['list'])",
        "from analysis.cli import main; main(['validate', 'clark_scarf'])",
    ],
)
def test_help_list_and_validate_load_no_heavy_module(command):
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{command}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("supplysim ")


def test_an_empty_library_is_an_error_not_a_crash(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(scenarios.library, "LIBRARY", tmp_path)
    monkeypatch.setattr(scenarios, "LIBRARY", tmp_path)
    assert main(["list"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"supplysim: error: no built-in scenarios in {tmp_path}: this installation of "
        "supplysim is incomplete; reinstall it\n"
    )


# ---------------------------------------------------------------------- discoverability
def test_show_names_every_node_with_role_and_policy(capsys):
    assert main(["show", "lost_sales"]) == 0
    out = capsys.readouterr().out
    scenario = scenarios.resolve("lost_sales")
    graph = scenario.network()
    policies = scenario.policies(graph)
    assert out.startswith(f"lost_sales: {scenario.description}\n")
    assert f"network: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges" in out
    lines = out.splitlines()
    for node, data in graph.nodes(data=True):
        row = next(line for line in lines if line.split()[:1] == [str(node)])
        policy = repr(policies[node]) if node in policies else "external source"
        assert row.split(None, 2)[1:] == [data["role"], policy]
    assert (
        f"run: {scenario.replications} replications of {scenario.periods} periods "
        f"(warm-up {scenario.warmup}), seed {scenario.seed}, engine 'event'"
    ) in out


def test_policies_lists_every_kind_with_its_parameters(capsys):
    assert main(["policies"]) == 0
    out = capsys.readouterr().out
    for kind, cls in agents.REGISTRY.items():
        assert f"\n{kind}: {cls.__name__}(" in out
    assert "\nbase_stock: BaseStock(level=None, levels=None, service_level=None)\n" in out
    assert (
        "\nmyopic: Myopic(demand=None, holding_cost=None, lost_sales_cost=None, lead_time=None, "
        "periods=1)\n" in out
    )
    assert "--allow-code" in out


def test_verbose_also_after_the_command(capsys):
    assert main(["validate", "no_such_scenario"]) == 2
    assert "neither a scenario file nor a built-in scenario" in capsys.readouterr().err
    for argv in (
        ["--verbose", "validate", "no_such_scenario"],
        ["validate", "no_such_scenario", "--verbose"],
    ):
        with pytest.raises(scenarios.ScenarioError, match="neither a scenario file"):
            main(argv)


# ---------------------------------------------------------------------- scenarios are data
def test_validate_runs_no_command_named_by_a_scenario(tmp_path, capsys):
    marker = tmp_path / "pwned"
    scenario = (ROOT / "examples" / "custom_policy.toml").read_text()
    scenario = scenario.replace(
        'kind = "custom_policy:ProportionalOrderUpTo", level = 16, forecast = 4, smoothing = 4',
        f'kind = "os:system", command = "touch {marker}"',
        1,
    )
    (tmp_path / "evil.toml").write_text(scenario)
    for flags in ([], ["--allow-code"]):
        assert main(["validate", str(tmp_path / "evil.toml"), *flags]) == 2
        err = capsys.readouterr().err
        assert err.startswith(
            "supplysim: error: evil.toml: roles.retailer.policy.kind: 'os:system' "
        )
        assert err.count("\n") == 1
    assert not marker.exists()


def test_custom_code_needs_the_flag_or_the_environment_variable(capsys, monkeypatch):
    example = str(ROOT / "examples" / "custom_policy.toml")
    assert main(["validate", example]) == 2
    err = capsys.readouterr().err
    assert "roles.retailer.policy.kind: 'custom_policy:ProportionalOrderUpTo' names custom" in err
    assert "--allow-code" in err
    assert main(["validate", example, "--allow-code"]) == 0
    assert main(["show", example, "--allow-code"]) == 0
    assert "ProportionalOrderUpTo(level=16, forecast=4, smoothing=4)" in capsys.readouterr().out
    monkeypatch.setenv(ALLOW_CODE_ENV, "1")
    assert main(["validate", example]) == 0


def test_a_name_cannot_move_the_output_folder(tmp_path, monkeypatch, capsys):
    text = (scenarios.LIBRARY / "lost_sales.toml").read_text()
    assert text.startswith('name = "lost_sales"')
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "s.toml").write_text(text.replace("lost_sales", "../../escaped", 1))
    monkeypatch.chdir(tmp_path / "work")
    assert main(["run", "s.toml", "--periods", "20", "--replications", "1"]) == 2
    assert capsys.readouterr().err.startswith(
        "supplysim: error: s.toml: name: '../../escaped' must be"
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["s.toml", "work"]


# ---------------------------------------------------------------------- an installed wheel
@pytest.mark.slow
def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    def check(*command, **options):
        command = [str(part) for part in command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, **options)
        assert done.returncode == 0, f"{command}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        return done.stdout

    # built from a copy: an in-tree build would leave build/ (and stale files) in the checkout
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".*", "build", "runs", "*.egg-info", "__pycache__"),
    )
    wheels = tmp_path / "wheels"
    check(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
        "-w", wheels, source,
    )  # fmt: skip
    (wheel,) = wheels.glob("supplysim-*.whl")
    venv = tmp_path / "venv"
    # dependencies from the system; pip too (the venv has none of its own)
    check(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv)
    python = venv / "bin" / "python"
    check(python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", ALLOW_CODE_ENV)}
    env["MPLBACKEND"] = "Agg"
    where = check(
        python, "-c", "import scenarios; print(scenarios.LIBRARY)", cwd=elsewhere, env=env
    )
    assert Path(where.strip()).is_relative_to(venv)  # not the checkout, not an editable copy
    listed = check(venv / "bin" / "supplysim", "list", cwd=elsewhere, env=env)
    listed_names = {line.split()[0] for line in listed.splitlines()}
    assert listed_names == set(scenarios.builtin_names()) | set(RECOMMENDATION_BUILTIN)
    out = tmp_path / "out"
    check(
        venv / "bin" / "supplysim", "run", "lost_sales", "--periods", 50, "--warmup", 10,
        "--replications", 2, "--workers", 1, "--out", out, cwd=elsewhere, env=env,
    )  # fmt: skip
    assert (out / "summary.json").is_file() and (out / "figures" / "inventory.png").is_file()
