"""The EA config file contract and the EA package as shipped."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gateway_core.terminals.ea_config import (
    EaConfig,
    EaConfigError,
    agent_id_for_data_folder,
    agent_id_for_login,
    parse_ea_config,
    render_ea_config,
    write_ea_config,
)
from gateway_core.terminals.ea_package import (
    EA_SOURCE_ENV,
    EaPackageError,
    default_package_root,
    load_ea_package,
    parse_ea_inputs,
    parse_ea_version,
)
from gateway_core.terminals.installer import install_ea, installed_state

from .trees import make_data_folder, make_ea_package

REPO_EA = Path(__file__).resolve().parents[2] / "ea" / "MQL4"


def test_config_exact_content() -> None:
    text = render_ea_config(EaConfig(token="abc123-token-value", gateway_port=8090))
    assert text == (
        "# MT4 Companion EA configuration, written by the MT4 Companion app.\n"
        "# Re-installing the EA from the app rewrites this file.\n"
        "gateway_url=ws://127.0.0.1:8090/mt4\n"
        "token=abc123-token-value\n"
        "agent_id=\n"
        "agent_id_rule=login\n"
        "heartbeat_ms=5000\n"
        "timer_ms=25\n"
    )


def test_config_with_fixed_agent_id_and_data_folder_rule(tmp_path: Path) -> None:
    path = tmp_path / "companion.cfg"
    write_ea_config(path, EaConfig(token="tok", agent_id="mt4-desk1", agent_id_rule="data_folder"))
    values = parse_ea_config(path.read_text("utf-8"))
    assert values["agent_id"] == "mt4-desk1"
    assert values["agent_id_rule"] == "data_folder"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (EaConfig(token="abc\ndef"), "line breaks"),
        (EaConfig(token="abc\rdef"), "line breaks"),
        (EaConfig(token=""), "empty"),
        (EaConfig(token=" padded "), "spaces"),
        (EaConfig(token="ok", gateway_port=70000), "port"),
        (EaConfig(token="ok", agent_id="has space"), "agent_id"),
        (EaConfig(token="ok", agent_id="a/b"), "agent_id"),
    ],
)
def test_config_rejects_values_the_ea_would_misread(config: EaConfig, message: str) -> None:
    with pytest.raises(EaConfigError, match=message):
        render_ea_config(config)


def test_agent_id_rules() -> None:
    assert agent_id_for_login(12345678) == "mt4-12345678"
    derived = agent_id_for_data_folder("50CA3DFB510CC5A8F28B48D1BF2A5702")
    assert derived.startswith("mt4-") and len(derived) == 16
    assert derived == "mt4-" + hashlib.md5(b"50CA3DFB510CC5A8F28B48D1BF2A5702").hexdigest()[:12]


def test_version_from_define_then_property() -> None:
    both = '#property version   "1.20"\n#define COMPANION_EA_VERSION "1.2.3"\n'
    assert parse_ea_version(both) == "1.2.3"
    assert parse_ea_version('#property version "2.05"\n') == "2.05"
    assert parse_ea_version("// nothing\n") is None


def test_package_reads_every_file_and_skips_packaging_artefacts(tmp_path: Path) -> None:
    root = make_ea_package(tmp_path / "ea", version="3.1.4")
    (root / "__init__.py").write_text("")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\x00")
    (root / ".DS_Store").write_bytes(b"\x00")
    package = load_ea_package(root)
    assert package.version == "3.1.4"
    assert package.relative_paths() == (
        "Experts/MT4Companion.mq4",
        "Include/MT4Companion/Config.mqh",
        "Include/MT4Companion/WebSocket.mqh",
    )


def test_utf16_source_version(tmp_path: Path) -> None:
    root = make_ea_package(tmp_path / "ea")
    main = root / "Experts" / "MT4Companion.mq4"
    main.write_bytes(
        b"\xff\xfe" + '// Überblick\n#define COMPANION_EA_VERSION "9.9.9"\n'.encode("utf-16-le")
    )
    assert load_ea_package(root).version == "9.9.9"


def test_package_without_main_file_is_refused(tmp_path: Path) -> None:
    root = make_ea_package(tmp_path / "ea")
    (root / "Experts" / "MT4Companion.mq4").unlink()
    with pytest.raises(EaPackageError, match=r"MT4Companion\.mq4"):
        load_ea_package(root)


def test_source_override_by_environment(tmp_path: Path) -> None:
    root = make_ea_package(tmp_path / "ea", version="5.0.0")
    assert Path(str(default_package_root({EA_SOURCE_ENV: str(root)}))) == root
    with pytest.raises(EaPackageError, match=EA_SOURCE_ENV):
        default_package_root({EA_SOURCE_ENV: str(tmp_path / "nothing")})


@pytest.mark.skipif(
    not (REPO_EA / "Experts" / "MT4Companion.mq4").is_file(), reason="the EA is not written yet"
)
def test_the_real_ea_is_found_and_versioned(tmp_path: Path) -> None:
    package = load_ea_package(default_package_root({}))
    assert "Experts/MT4Companion.mq4" in package.relative_paths()
    assert package.version is not None
    assert any(p.startswith("Include/MT4Companion/") for p in package.relative_paths())
    # Installed into a terminal, it is recognised with the same version.
    data = make_data_folder(tmp_path / "Terminal" / "50CA3DFB510CC5A8F28B48D1BF2A5702")
    assert install_ea(data, token="t" * 24, package=package).ok
    state = installed_state(data / "MQL4")
    assert state.installed and state.version == package.version
    # Its inputs default to "take it from companion.cfg".
    inputs = parse_ea_inputs((REPO_EA / "Experts" / "MT4Companion.mq4").read_text("utf-8"))
    assert inputs.get("Token") == ""


def test_inputs_and_their_defaults() -> None:
    source = (
        'input string GatewayURL  = "";   // Gateway URL (empty: companion.cfg)\n'
        'input string Greeting = "a; b"; // semicolon inside the string\n'
        "extern int Magic = 1234;\n"
        "input const double Lots=0.10;\n"
        "input bool Verbose;\n"
        "int not_an_input = 5;\n"
    )
    assert parse_ea_inputs(source) == {
        "GatewayURL": "",
        "Greeting": "a; b",
        "Magic": "1234",
        "Lots": "0.10",
        "Verbose": "",
    }
