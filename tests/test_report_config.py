"""Config files of ``condense report``: parsing, validation and clear errors."""

import argparse
import json
from types import SimpleNamespace

import pytest

from condense.report.config import load_config, parse_config, read_config_file


def _fake_figure(name):
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--epsilon", type=float, default=1e-3)
        parser.add_argument("--steps", type=int, default=100)
        parser.add_argument("--widths", type=int, nargs=2, default=[4, 4])
        parser.add_argument("--activation", choices=["tanh", "relu"], default="tanh")

    return SimpleNamespace(NAME=name, TITLE=name, CLAIM="c", add_arguments=add_arguments, make=None)


FIGURES = {"alpha": _fake_figure("alpha"), "beta": _fake_figure("beta")}


def test_toml_and_json_give_the_same_config(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text(
        'seed = 7\nquick = true\nfigures = ["beta", "alpha"]\nverify = false\n'
        '[derivation]\ndepth = 4\nactivation = "sin"\n'
        '[figure.beta]\nepsilon = 1\nwidths = [2, 3]\nseed = 11\nactivation = "relu"\n'
    )
    data = {"seed": 7, "quick": True, "figures": ["beta", "alpha"], "verify": False,
            "derivation": {"depth": 4, "activation": "sin"},
            "figure": {"beta": {"epsilon": 1, "widths": [2, 3], "seed": 11, "activation": "relu"}}}
    js = tmp_path / "c.json"
    js.write_text(json.dumps(data))
    a, b = load_config(toml, FIGURES), load_config(js, FIGURES)
    for config in (a, b):
        assert config.seed == 7 and config.quick and not config.verify
        assert config.figures == ["alpha", "beta"]  # report order, not file order
        assert config.derivation == {"depth": 4, "activation": "sin"}
        assert config.seed_for("beta") == 11 and config.seed_for("alpha") == 7
        assert config.params_for("beta") == {"epsilon": 1.0, "widths": [2, 3], "activation": "relu"}
        assert isinstance(config.params_for("beta")["epsilon"], float)
    assert a.source == str(toml)


def test_defaults_without_a_file():
    config = load_config(None, FIGURES)
    assert config.seed == 0 and config.quick is False and config.figures is None and config.verify


@pytest.mark.parametrize(
    "data, error, words",
    [
        ({"sed": 1}, ValueError, ["'sed'", "allowed keys"]),
        ({"figures": ["gamma"]}, ValueError, ["'gamma'", "known figures"]),
        ({"figure": {"gamma": {}}}, ValueError, ["'gamma'"]),
        ({"figure": {"alpha": {"epsilonn": 1.0}}}, ValueError, ["'epsilonn'", "epsilon", "steps"]),
        ({"figure": {"alpha": {"steps": 2.5}}}, TypeError, ["steps", "integer"]),
        ({"figure": {"alpha": {"steps": True}}}, TypeError, ["steps"]),
        ({"figure": {"alpha": {"widths": 3}}}, TypeError, ["widths", "list"]),
        ({"figure": {"alpha": {"activation": "sigmoid"}}}, ValueError, ["activation", "tanh"]),
        ({"figure": {"alpha": {"seed": -1}}}, TypeError, ["seed"]),
        ({"seed": "1"}, TypeError, ["seed"]),
        ({"quick": "yes"}, TypeError, ["quick"]),
        ({"derivation": {"depth": 1}}, ValueError, ["derivation.depth"]),
        ({"derivation": {"width": 3}}, ValueError, ["'width'", "depth"]),
    ],
)
def test_bad_configs_name_the_key(data, error, words):
    with pytest.raises(error) as info:
        parse_config(data, FIGURES)
    for word in words:
        assert word in str(info.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_config_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = = 1")
    with pytest.raises(ValueError, match="not valid TOML"):
        read_config_file(bad)
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(TypeError, match="top level"):
        read_config_file(bad)


def test_cli_rejects_a_bad_config_before_computing(tmp_path, capsys):
    from condense.cli import main

    config = tmp_path / "c.toml"
    config.write_text("[figure.no_such_figure]\nx = 1\n")
    assert main(["report", "--out", str(tmp_path / "out"), "--config", str(config)]) == 2
    assert "no_such_figure" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _comma_ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _comma_figure():
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--widths", type=_comma_ints, default=None)
        parser.add_argument("--names", default="a,b", help="comma-separated names")

    return SimpleNamespace(NAME="gamma", TITLE="gamma", CLAIM="c", add_arguments=add_arguments, make=None)


def test_comma_separated_options_accept_a_list_or_the_text():
    figures = {"gamma": _comma_figure()}
    for given in ([250, 500], "250,500"):
        config = parse_config({"figure": {"gamma": {"widths": given}}}, figures)
        assert config.params_for("gamma") == {"widths": (250, 500)}


@pytest.mark.parametrize("given", ["250,abc", [250, "abc"]])
def test_a_bad_comma_separated_value_is_a_clear_value_error(given):
    with pytest.raises(ValueError) as info:
        parse_config({"figure": {"gamma": {"widths": given}}}, {"gamma": _comma_figure()})
    assert "'gamma'" in str(info.value) and "'widths'" in str(info.value) and "integers" in str(info.value)


def test_a_comma_separated_text_option_accepts_a_list_of_strings():
    figures = {"gamma": _comma_figure()}
    assert parse_config({"figure": {"gamma": {"names": ["relu", "tanh"]}}}, figures).params_for("gamma") == {
        "names": "relu,tanh"}
    assert parse_config({"figure": {"gamma": {"names": "relu"}}}, figures).params_for("gamma") == {"names": "relu"}
    with pytest.raises(TypeError, match="names"):
        parse_config({"figure": {"gamma": {"names": ["relu", 3]}}}, figures)


def test_derivation_of_a_general_network_from_the_config(tmp_path):
    """A [derivation] table may describe a general network (several outputs, biases, one
    activation per hidden layer): checked when the file is read, rendered through theory.Network."""
    from condense.figures import discover_figures
    from condense.report.config import load_config
    from condense.report.sections import derivation_markdown

    figures = discover_figures()

    path = tmp_path / "c.toml"
    path.write_text('[derivation]\ndepth = 3\nactivation = "tanh,sin"\noutput_dim = 2\nbias = [true, false, false]\n')
    config = load_config(path, figures)
    assert config.derivation["activation"] == ["tanh", "sin"]
    text = derivation_markdown(**config.derivation)
    assert "2 outputs" in text and "biases in layer(s) 1" in text and r"\sin" in text
    for body, message in [
        ("[derivation]\noutput_dim = 0\n", "config: derivation.output_dim"),
        ("[derivation]\nbias = [true, false]\n", "config: derivation.bias"),
        ('[derivation]\nactivation = "tanh,gelu"\n', "config: derivation.activation"),
        ("[derivation]\ndepth = 4\nwidths = [2, 2]\n", "config: derivation.widths"),
    ]:
        path.write_text(body)
        with pytest.raises(ValueError, match=message):
            load_config(path, figures)
