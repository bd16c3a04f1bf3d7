"""The command line in-process: catalog commands, demo, and one clear line for every bad input."""

import subprocess
import sys

import pytest

from labcheck.cli import main

LAB = "aws-bedrock-privatelink"


def run(capsys, *argv):
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_list_shows_each_lab_with_its_check_count(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert LAB in out
    assert "15 checks" in out
    assert "AIP-C01" in out


def test_show_lists_inputs_with_defaults_and_requirements_with_points(capsys):
    code, out, _ = run(capsys, "show", LAB)
    assert code == 0
    assert "approved_model_ids (list, default: anthropic.claude-3-haiku-20240307-v1:0)" in out
    assert "Requirements (30 points)" in out
    assert "endpoint-private-dns" in out
    assert "advisory" in out


def test_explain_gives_what_why_and_fix(capsys):
    code, out, _ = run(capsys, "explain", LAB, "endpoint-private-dns")
    assert code == 0
    assert "What: Private DNS is on" in out
    assert "Why:" in out
    assert "private_dns_enabled = true" in out
    assert "ec2:DescribeVpcEndpoints" in out


def test_init_copies_the_starter_and_refuses_to_overwrite(capsys, tmp_path):
    target = tmp_path / "lab"
    code, _, _ = run(capsys, "init", LAB, str(target))
    assert code == 0
    assert (target / "main.tf").is_file()
    assert "private_dns_enabled" not in (target / "main.tf").read_text()
    code, _, err = run(capsys, "init", LAB, str(target))
    assert code == 2
    assert "already exists" in err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["verify", "no-such-lab"], "unknown lab 'no-such-lab'"),
        (["show", "no-such-lab"], "unknown lab"),
        (["explain", LAB, "no-such-check"], "has no check 'no-such-check'"),
        (["verify", LAB, "--check", "no-such-check"], "has no check"),
        (["verify", LAB, "--input", "approved_model_ids"], "--input takes key=value"),
        (["verify", LAB, "--input", "nope=1"], "has no input 'nope'"),
        (["verify", LAB, "--input", "min_endpoint_azs=two"], "takes a whole number"),
        (["verify", LAB, "--input", "residency_scope=planet"], "takes one of region, geography"),
        (["verify", LAB, "--format", "pdf"], "--format takes one of"),
        (["verify", LAB, "--no-such-flag"], "No such option"),
        (["verify"], "Missing argument"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_demo_grades_the_reference_and_a_breakage_without_an_account(capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "Reference: PASSED 30/30" in out
    assert "With private-dns-off: FAILED 28/30 (endpoint-private-dns)" in out


def test_help_and_list_import_no_cloud_sdk_and_no_rich():
    probe = (
        "import sys\n"
        "from labcheck.cli import main\n"
        "for argv in (['--help'], ['list']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('boto3', 'botocore', 'rich', 'moto', 'azure.core', 'google.cloud.aiplatform', 'google.api_core',"
        " 'databricks.sdk')\n"
        "print('LOADED:' + ','.join(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "LOADED:\n" in done.stdout


def test_progress_shows_on_a_terminal_only(monkeypatch):
    import io

    from labcheck.cli.verify_command import progress_line

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress_line(2) is None
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    show = progress_line(2)
    show(type("R", (), {"id": "vpc-dns-enabled"})())
    show(type("R", (), {"id": "endpoint-private-dns"})())
    assert "checked 1/2: vpc-dns-enabled" in terminal.getvalue()
    assert terminal.getvalue().endswith("checked 2/2: endpoint-private-dns\n")
