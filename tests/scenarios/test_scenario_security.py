"""A scenario file names code only with its runner's consent, and only decision-module
classes; its name cannot lead the output folder out of ``runs/``."""

from __future__ import annotations

import pickle
import re

import pytest

from analysis.experiment import replicate
from scenarios import ScenarioError, load
from scenarios.scenario import ALLOW_CODE_ENV, folder_name

SCENARIO = """
name = "{name}"

[network]
builder = "serial"
args = {{ n_stages = 1, lead_time = 1, demand = {{ dist = "constant", value = 4 }} }}

[roles.retailer]
policy = {policy}

[run]
periods = 20
warmup = 0
replications = 2
"""

#: A decision module whose order quantity tells which file it came from.
CONSTANT_POLICY = """
MARKER.write_text("imported")

class Policy:
    def __init__(self, quantity=0):
        self.quantity = quantity

    def act(self, obs):
        return QUANTITY
"""


@pytest.fixture(autouse=True)
def no_env_opt_in(monkeypatch):
    monkeypatch.delenv(ALLOW_CODE_ENV, raising=False)


def write_scenario(folder, policy: str, name: str = "s"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "s.toml"
    path.write_text(SCENARIO.format(name=name, policy=policy))
    return path


def write_module(folder, quantity: int, marker):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "custom_policy.py").write_text(
        f"from pathlib import Path\nMARKER = Path({str(marker)!r})\nQUANTITY = {quantity}\n"
        + CONSTANT_POLICY
    )


@pytest.mark.parametrize("allow_code", [False, True])
@pytest.mark.parametrize(
    ("kind", "argument"),
    [("os:system", "command"), ("subprocess:getoutput", "cmd"), ("builtins:exec", "source")],
)
def test_a_function_is_never_called_even_with_opt_in(tmp_path, kind, argument, allow_code):
    marker = tmp_path / "pwned"
    command = f"touch {marker}" if kind != "builtins:exec" else f"open({str(marker)!r}, 'w')"
    path = write_scenario(tmp_path, f"{{ kind = {kind!r}, {argument} = {command!r} }}")
    expected = "names custom code" if not allow_code else "not a class"
    with pytest.raises(ScenarioError, match=re.escape(expected)) as info:
        load(path, allow_code=allow_code)
    assert str(info.value).startswith("s.toml: roles.retailer.policy.kind: ")
    assert "\n" not in str(info.value)
    assert not marker.exists()


def test_rmtree_deletes_nothing(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    path = write_scenario(tmp_path, f'{{ kind = "shutil:rmtree", path = {str(victim)!r} }}')
    for allow_code in (False, True):
        with pytest.raises(ScenarioError, match=r"roles\.retailer\.policy\.kind"):
            load(path, allow_code=allow_code)
    assert victim.is_dir()


def test_a_module_beside_the_scenario_is_not_imported_without_opt_in(tmp_path):
    marker = tmp_path / "imported"
    write_module(tmp_path, 3, marker)
    path = write_scenario(tmp_path, '{ kind = "custom_policy:Policy" }')
    with pytest.raises(ScenarioError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith("s.toml: roles.retailer.policy.kind: 'custom_policy:Policy' names")
    assert "--allow-code" in message and f"{ALLOW_CODE_ENV}=1" in message
    assert "allow_code=True" in message
    assert not marker.exists()


def test_the_environment_variable_opts_in(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    write_module(tmp_path, 3, marker)
    path = write_scenario(tmp_path, '{ kind = "custom_policy:Policy" }')
    monkeypatch.setenv(ALLOW_CODE_ENV, "1")
    assert load(path).allow_code is True
    assert marker.exists()
    monkeypatch.setenv(ALLOW_CODE_ENV, "0")
    with pytest.raises(ScenarioError, match="names custom code"):
        load(path)


def test_a_class_without_act_is_refused_before_it_is_instantiated(tmp_path):
    marker = tmp_path / "instantiated"
    (tmp_path / "nopolicy.py").write_text(
        f"class NoPolicy:\n    def __init__(self):\n        open({str(marker)!r}, 'w')\n"
    )
    path = write_scenario(tmp_path, '{ kind = "nopolicy:NoPolicy" }')
    with pytest.raises(ScenarioError, match=r"'nopolicy:NoPolicy' is a class without act\(obs\)"):
        load(path, allow_code=True)
    assert not marker.exists()


def test_supplysims_own_classes_need_no_opt_in(tmp_path):
    path = write_scenario(tmp_path, '{ kind = "agents.heuristics:BaseStock", level = 5 }')
    assert type(load(path).policies()["stage1"]).__name__ == "BaseStock"


def test_a_file_beside_the_scenario_cannot_pass_for_supplysims_own_module(tmp_path):
    marker = tmp_path / "imported"
    (tmp_path / "agents.py").write_text(f"open({str(marker)!r}, 'w')\nclass BaseStock: pass\n")
    path = write_scenario(tmp_path, '{ kind = "agents:BaseStock", level = 5 }')
    for allow_code in (False, True):
        assert type(load(path, allow_code=allow_code).policies()["stage1"]).__module__ == (
            "agents.heuristics"
        )
    assert not marker.exists()


def test_two_folders_two_modules_of_one_name(tmp_path):
    """Each folder's custom_policy.py is its own module (not the one imported first)."""
    quantities = {}
    for folder, quantity in (("a", 3), ("b", 5)):
        write_module(tmp_path / folder, quantity, tmp_path / folder / "marker")
        path = write_scenario(tmp_path / folder, '{ kind = "custom_policy:Policy" }')
        policy = load(path, allow_code=True).policies()["stage1"]
        quantities[folder] = policy.act(None)
    assert quantities == {"a": 3, "b": 5}


def test_the_opt_in_travels_to_worker_processes(tmp_path):
    write_module(tmp_path, 4, tmp_path / "marker")
    scenario = load(write_scenario(tmp_path, '{ kind = "custom_policy:Policy" }'), allow_code=True)
    assert pickle.loads(pickle.dumps(scenario)).allow_code is True
    assert scenario.with_overrides({"run.periods": 10}).allow_code is True
    ours = replicate(scenario, workers=2).kpis
    builtin = load(write_scenario(tmp_path / "b", '{ kind = "constant_order", quantity = 4 }'))
    theirs = replicate(builtin, workers=1).kpis
    assert len(ours) == len(theirs) > 0
    assert ours.equals(theirs)  # the workers ran the user's class: orders of 4 every period


@pytest.mark.parametrize("name", ["../../escaped", "a/b", "a\\b", "..", ".", "", "C:x"])
def test_a_name_that_is_not_one_folder_is_refused(tmp_path, name):
    path = write_scenario(tmp_path, '{ kind = "base_stock", level = 5 }', name=name)
    with pytest.raises(ScenarioError, match=r"^s\.toml: name: .* must be usable as a folder name"):
        load(path)


def test_a_file_stem_becomes_a_safe_folder_name(tmp_path):
    path = tmp_path / "...toml"
    path.write_text(
        SCENARIO.format(name="x", policy='{ kind = "base_stock", level = 5 }').replace(
            'name = "x"', ""
        )
    )
    assert load(path).name == "_"
    assert folder_name("my study: v2") == "my study_ v2"
