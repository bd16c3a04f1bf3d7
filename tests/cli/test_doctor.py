"""`labcheck doctor`: identity, Region and the approved models' on-demand availability."""

import pytest

from labcheck.catalog import get_lab
from labcheck.cli import main
from labcheck.cli.doctor_command import report_models
from labcheck.providers.aws.view import FoundationModel
from labcheck.testing.aws import FakeAws
from labcheck.testing.moto import mock_aws_account

LAB = get_lab("aws-bedrock-privatelink")
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.mark.parametrize(
    ("models", "healthy", "said"),
    [
        ([FoundationModel(HAIKU, "ACTIVE")], True, f"{HAIKU} — on demand in eu-central-1"),
        ([FoundationModel(HAIKU, "LEGACY")], False, f"{HAIKU} — legacy"),
        ([FoundationModel("amazon.titan-text-lite-v1", "ACTIVE")], False, "not offered on demand"),
    ],
)
def test_each_approved_model_is_reported(capsys, models, healthy, said):
    assert report_models(FakeAws(models=models), LAB, []) is healthy
    assert said in capsys.readouterr().out


def test_inputs_override_the_models_checked(capsys):
    fake = FakeAws(models=[FoundationModel("amazon.nova-micro-v1:0", "ACTIVE")])
    assert report_models(fake, LAB, ["approved_model_ids=amazon.nova-micro-v1:0"])
    assert "amazon.nova-micro-v1:0 — on demand" in capsys.readouterr().out


def test_a_denied_listing_is_reported_not_guessed(capsys):
    fake = FakeAws(models=[FoundationModel(HAIKU, "ACTIVE")], denied={"bedrock:ListFoundationModels"})
    assert report_models(fake, LAB, []) is False
    assert "could not list the on-demand models" in capsys.readouterr().out


def test_doctor_names_the_account_and_region_of_a_mock_account(capsys):
    with mock_aws_account("eu-central-1"), pytest.raises(SystemExit) as exit_info:
        main(["doctor", "--region", "eu-central-1"])
    out = capsys.readouterr().out
    assert "AWS credentials work: arn:aws:sts::123456789012:user/moto" in out
    assert "account 123456789012, Region eu-central-1" in out
    # moto does not implement ListFoundationModels: doctor says it could not tell, and does not pass.
    assert "could not list the on-demand models" in out
    assert exit_info.value.code == 1


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["doctor", "--cloud", "gcp"], "AWS set-ups only"),
        (["doctor", "--input", "approved_model_ids=x"], "--input needs exactly one --lab"),
    ],
)
def test_bad_input_is_exit_2(capsys, argv, fragment):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert fragment in capsys.readouterr().err
