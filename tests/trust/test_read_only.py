"""The read-only guarantee: a mutating call is refused before it is sent; checks reach a cloud only via a view.

The live AWS adapter registers a `before-call` guard on every client it makes; anything but a Describe/
Get/List/Lookup/BatchGet whose IAM action an AWS view declares raises ReadOnlyViolationError there, before
the request is signed. Each test opens the adapter on the reference account through a transparent chaos
proxy (rate 0), tries one mutating call per service aws-bedrock-privatelink's checks use (and sts
AssumeRole), and reads no view declares that return credentials or data, and sees each refused with a
before-send counter on the client at 0 and no request at the proxy. A static scan then shows that every
lab's checks.py uses only its view's members.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labcheck import permissions
from labcheck.catalog import all_labs, get_lab
from labcheck.errors import ReadOnlyViolationError
from labcheck.providers.aws.live import LiveAws
from labcheck.providers.aws.session import AwsOptions
from labcheck.testing.chaos_proxy import ChaosProxy

LAB = get_lab("aws-bedrock-privatelink")
REGION = "eu-central-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/labcheck-app"

# service -> (operation, parameters): one mutating call each, with valid parameters so botocore's own
# validation passes and only the guard can stop it
MUTATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "ec2": ("create_vpc", {"CidrBlock": "10.99.0.0/16"}),
    "iam": ("create_user", {"UserName": "labcheck-must-not-exist"}),
    "lambda": ("delete_function", {"FunctionName": "labcheck-app"}),
    "bedrock": ("delete_model_invocation_logging_configuration", {}),
    "logs": ("delete_log_group", {"logGroupName": "/aws/bedrock/invocations"}),
    "kms": ("create_key", {"Description": "must not exist"}),
    "s3": ("create_bucket", {"Bucket": "labcheck-must-not-exist"}),
    "cloudtrail": ("create_trail", {"Name": "labcheck", "S3BucketName": "labcheck-must-not-exist"}),
    # not a write, but it mints credentials: outside the guard's Describe/Get/List/Lookup/BatchGet set
    "sts": ("assume_role", {"RoleArn": ROLE_ARN, "RoleSessionName": "labcheck"}),
}

# Reads by name that no view declares, because they return credentials or data: refused all the same.
UNDECLARED_READS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "sts GetSessionToken": ("sts", "get_session_token", {}),
    "s3 GetObject": ("s3", "get_object", {"Bucket": "labcheck-any-bucket", "Key": "prompts.jsonl"}),
    "ec2 GetPasswordData": ("ec2", "get_password_data", {"InstanceId": "i-0123456789abcdef0"}),
    "lambda GetFunction": ("lambda", "get_function", {"FunctionName": "labcheck-app"}),  # its code's URL
}


@pytest.fixture(scope="module")
def live(moto_url: str, reference: tuple[str, dict[str, str]]) -> Iterator[tuple[LiveAws, ChaosProxy]]:
    """The adapter, opened the way `labcheck verify` opens it, on the reference account via a transparent proxy."""
    _, env = reference
    with ChaosProxy(moto_url, rate=0) as proxy, pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setenv("AWS_ENDPOINT_URL", proxy.url)
        yield LiveAws.open(AwsOptions(region=REGION, max_attempts=1)), proxy


def test_the_mutations_cover_every_service_the_lab_reads():
    services = {action.split(":")[0] for action in permissions.actions([LAB])}
    assert set(MUTATIONS) == services | {"sts"}  # sts: the adapter opens every account with GetCallerIdentity


@pytest.mark.parametrize("service", sorted(MUTATIONS))
def test_a_mutating_call_is_refused_before_it_is_sent(live, service):
    adapter, proxy = live
    operation, parameters = MUTATIONS[service]
    client = adapter.client(service)
    sent: list[str] = []
    client.meta.events.register("before-send", lambda request, **_: sent.append(request.url))
    before = sum(proxy.requests.values())
    with pytest.raises(ReadOnlyViolationError, match="only reads"):
        getattr(client, operation)(**parameters)
    assert sent == []
    assert sum(proxy.requests.values()) == before


@pytest.mark.parametrize("name", sorted(UNDECLARED_READS))
def test_a_read_no_view_declares_is_refused_before_it_is_sent(live, name):
    adapter, proxy = live
    service, operation, parameters = UNDECLARED_READS[name]
    before = sum(proxy.requests.values())
    with pytest.raises(ReadOnlyViolationError, match="only what its views declare"):
        getattr(adapter.client(service), operation)(**parameters)
    assert sum(proxy.requests.values()) == before


def test_the_guard_is_not_bypassed_by_the_memoised_read_path(live):
    adapter, proxy = live
    before = sum(proxy.requests.values())
    with pytest.raises(ReadOnlyViolationError, match="CreateVpc"):
        adapter._call("ec2", "create_vpc", CidrBlock="10.98.0.0/16")
    with pytest.raises(ReadOnlyViolationError, match="CreateVpc"):  # refused again: a refusal is not memoised away
        adapter._call("ec2", "create_vpc", CidrBlock="10.98.0.0/16")
    assert sum(proxy.requests.values()) == before


def test_reads_do_go_out(live):
    """The counters work: a read passes the guard and reaches the proxy."""
    adapter, proxy = live
    before = proxy.requests["ec2"]
    assert adapter.tagged_vpcs("labcheck-lab", LAB.id)
    assert proxy.requests["ec2"] == before + 1


# --- checks reach the cloud only through the view ------------------------------------------------------


def view_members(cloud: str) -> set[str]:
    """Public members of every view Protocol of a provider (labcheck.providers.<cloud>.view and view_*)."""
    package = importlib.import_module(f"labcheck.providers.{cloud}")
    members = set()
    for info in pkgutil.iter_modules(package.__path__):
        if info.name == "view" or info.name.startswith("view_"):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if getattr(cls, "_is_protocol", False) and cls.__module__ == module.__name__:
                    members |= {name for name in dir(cls) if not name.startswith("_")}
    return members


SDK_PACKAGES = ("boto3", "botocore", "moto", "azure", "msal", "requests", "httpx", "urllib3")
FORBIDDEN_NAMES = {"_call", "_pages", "_memoised", "_translated", "_session", "_clients", "boto3", "botocore"}
"""The adapters' internals and the SDK's names: a check that names them reaches past the view."""
SDK_FACTORIES = {"client", "resource", "Session"}
"""Calls that make an SDK client or session."""
ADAPTER_MODULES = ("live", "reader", "reads_", "session")
"""Modules of labcheck.providers.<cloud> that talk to the cloud."""


def lab_sources() -> list[tuple[str, Path]]:
    """(cloud, checks.py) of every lab in the catalog."""
    return sorted({(lab.cloud, lab.directory / "checks.py") for lab in all_labs().values()})


def _view_parameters(function: ast.FunctionDef) -> set[str]:
    """Parameters annotated with a view type (AwsView, RagView, OpenAIView, ...) or named after the provider."""
    names = set()
    for argument in function.args.args:
        annotation = ast.unparse(argument.annotation) if argument.annotation else ""
        if annotation.endswith("View") or argument.arg in ("aws", "azure"):
            names.add(argument.arg)
    return names


def _view_calls(tree: ast.Module) -> set[str]:
    """Names of the members called or read on a view parameter of any function."""
    used = set()
    for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        views = _view_parameters(function)
        for node in ast.walk(function):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in views:
                used.add(node.attr)
    return used


def scan(text: str, cloud: str = "aws") -> list[str]:
    """What in a checks.py reaches past the view: SDK imports, clients, adapter internals, unknown view calls."""
    tree = ast.parse(text)
    problems = [".client( call"] if ".client(" in text else []
    imported = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    problems += [f"imports {m}" for m in sorted(imported) if m.split(".")[0] in SDK_PACKAGES]
    adapters = tuple(f"labcheck.providers.{c}.{m}" for c in ("aws", "azure") for m in ADAPTER_MODULES)
    problems += [f"imports {m}" for m in sorted(imported) if m.startswith(adapters)]
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    problems += [f"uses {name}" for name in sorted(names & FORBIDDEN_NAMES)]
    calls = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    problems += [f"calls .{name}()" for name in sorted(calls & SDK_FACTORIES)]
    used = _view_calls(tree)
    unknown = sorted(used - view_members(cloud))
    problems += [f"calls {name} on the view, which has no such member" for name in unknown]
    return problems if used or problems else ["no use of the view found: the scan looks in the wrong place"]


@pytest.mark.parametrize(("cloud", "source"), lab_sources(), ids=lambda v: v.parent.name if isinstance(v, Path) else v)
def test_checks_use_only_view_methods(cloud, source):
    assert scan(source.read_text(), cloud) == []


@pytest.mark.parametrize(
    ("snippet", "problem"),
    [
        ("def c(aws: AwsView):\n    return aws.client('ec2').create_vpc()", ".client( call"),
        ("import boto3\ndef c(aws: AwsView):\n    return aws.region", "imports boto3"),
        ("def c(aws: AwsView):\n    return aws._call('ec2', 'create_vpc')", "uses _call"),
        ("def c(aws: AwsView):\n    return aws.delete_vpc('vpc-1')", "calls delete_vpc on the view"),
        ("def c(aws: AwsView, s):\n    return s.resource('s3')", "calls .resource()"),
        ("from labcheck.providers.aws.live import LiveAws\ndef c(aws: AwsView):\n    return aws.region", "imports"),
    ],
)
def test_the_scan_catches_a_check_that_reaches_past_the_view(snippet, problem):
    assert any(p.startswith(problem) for p in scan(snippet)), scan(snippet)


def test_the_scan_covers_the_lab_and_its_view():
    assert ("aws", LAB.directory / "checks.py") in lab_sources()
    assert {"vpc_endpoints", "role_policies", "invocation_logging", "account_id", "region"} <= view_members("aws")
