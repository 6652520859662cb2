"""Every service answers as its OpenAPI document says: schemathesis through real HTTP (issue #5, §4).

One marketplace for the whole module (`conftest.py`): every service as its own process, seeded through
events. For each document of `contracts/openapi/` (the service of the same name) and each generation
mode, every operation gets the cases of schemathesis's examples phase (the document's own examples),
its coverage phase (boundary values, each parameter left out or of the wrong type, the methods a path
does not document) and its fuzzing phase, each with every check schemathesis has; where schemathesis
finds links between operations (the document's OpenAPI links, or links it infers), its stateful phase
follows them too.

Credentials are chosen per operation from its security requirements: a user token (María, customer and
admin) where `userToken` is required, a service token of each of the operation's `x-a4co-callers` in
turn where `serviceToken` is, nothing on public operations; a negative case that is about the
Authorization header goes as schemathesis made it. In positive mode, ids in a request are sometimes
replaced by ids that exist (`Known`), so that 200s and their bodies are checked, not only the 404s of
random ids, and every caller must get at least one success from every operation.

What is left out, and why, is written where it is left out: `ACCEPTED_REFUSALS` (schema-valid requests
that a documented rule across parameters or over stored state refuses) and `NOTHING_TO_NEGATE`.
"""

import copy
import itertools
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.hypothesis.examples import generate_one

from services.platform.security import KeyStore, ServiceTokenIssuer, UserTokenIssuer
from tests.contract.conftest import Known
from tests.services.harness import Running

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]

CONTRACTS = Path(__file__).parents[2] / "contracts" / "openapi"
SHARED = "components"
"""Components every document references; not a service."""
DOCUMENTS = sorted(path.stem for path in CONTRACTS.glob("*.yaml") if path.stem != SHARED)

load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())

MAX_EXAMPLES = 50
STATEFUL_SCENARIOS = 30
STATEFUL_STEPS = 6

ACCEPTED_REFUSALS: dict[str, tuple[str, str]] = {
    # operationId: (status, why a request that matches every schema may get it)
    "searchProducts": (
        "400",
        (
            "minPrice greater than maxPrice, or page x pageSize beyond 10 000: rules across parameters, "
            "which no parameter's schema can state (the operation documents them as its 400)"
        ),
    ),
    "gatewaySearchProducts": ("400", "the same rules: the gateway passes product's 400 through"),
    "gatewayModifyOrderItems": (
        "422",
        (
            "a change for a product that is not in the order, or one that raises a quantity: whether a "
            "change is allowed depends on the stored order (the operation documents it as its 422)"
        ),
    ),
}
"""Statuses added to schemathesis's `positive_data_acceptance` for one operation, with the reason."""

NOTHING_TO_NEGATE = "no parameters and no body: only the coverage phase makes negative cases (other methods)"


def _config() -> schemathesis.Config:
    accepted = schemathesis.Config().projects.get_default().checks.positive_data_acceptance.expected_statuses
    return schemathesis.Config.from_dict(
        {
            "operations": [
                {
                    "include-operation-id": operation,
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*accepted, status]}},
                }
                for operation, (status, _why) in ACCEPTED_REFUSALS.items()
            ]
        }
    )


def _schema(document: str, marketplace: Running) -> Any:
    schema = schemathesis.openapi.from_path(CONTRACTS / f"{document}.yaml", config=_config())
    schema.config.update(base_url=marketplace.market.url(document))
    return schema


Caller = tuple[str, dict[str, str]]
"""Who calls (for messages) and the headers that say so."""


class Credentials:
    """The Authorization headers an operation of `service` accepts, from its security requirements."""

    def __init__(self, keys: KeyStore, service: str, schema: Any, known: Known) -> None:
        self.keys = keys
        self.service = service
        self.default_security = schema.raw_schema.get("security", [])
        user_token = UserTokenIssuer(keys).issue(known.customer, ["customer", "admin"])
        self.user: Caller = ("a user (customer, admin)", {"Authorization": f"Bearer {user_token}"})
        self.services: dict[str, Caller] = {}

    def choices(self, operation: Any) -> list[Caller]:
        """Every caller that should get past authentication: each of `x-a4co-callers`, a user, or nobody
        (a public operation)."""
        raw = operation.definition.raw
        requirements: list[dict[str, list[str]]] = raw.get("security", self.default_security)
        if not requirements or any(not requirement for requirement in requirements):
            return [("anybody", {})]
        schemes = {scheme for requirement in requirements for scheme in requirement}
        if "userToken" in schemes:
            return [self.user]
        assert schemes == {"serviceToken"}, f"{operation.label}: unknown security schemes {schemes}"
        callers: list[str] = raw.get("x-a4co-callers", [])
        assert callers, f"{operation.label}: a serviceToken operation without x-a4co-callers admits nobody"
        return [self._service(caller) for caller in callers]

    def _service(self, caller: str) -> Caller:
        if caller not in self.services:
            token = ServiceTokenIssuer(caller, self.keys).issue(self.service)
            self.services[caller] = (f"service {caller}", {"Authorization": f"Bearer {token}"})
        return self.services[caller]


def _with_known_ids(operation: Any, known: Known) -> st.SearchStrategy[Any]:
    """Positive cases in which an id may be replaced by one that exists, a body by one that succeeds."""
    strategy = operation.as_strategy(schemathesis.GenerationMode.POSITIVE)
    bodies = known.bodies.get(operation.definition.raw.get("operationId"), [])

    @st.composite
    def cases(draw: st.DrawFn) -> Any:
        case = draw(strategy)
        succeeding = bool(bodies) and draw(st.booleans())
        if succeeding:  # a body that succeeds on what exists, so every id names what exists too
            case.body = copy.deepcopy(draw(st.sampled_from(bodies)))
        for container in (case.path_parameters, case.query, case.body):
            if not isinstance(container, dict):
                continue
            for name in list(container):
                values = known.ids.get(name)
                if values and (succeeding or draw(st.booleans())):
                    container[name] = draw(st.sampled_from(values))
        return case

    return cases()


def _negates_authorization(case: schemathesis.Case) -> bool:
    """Whether schemathesis made this negative case by leaving out or breaking its Authorization header."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    data = meta.phase.data
    parameter = getattr(data, "parameter", None)
    if getattr(data, "parameter_location", None) is ParameterLocation.HEADER and parameter:
        return str(parameter).lower() == "authorization"  # the coverage phase names what it changed
    present = {name.lower() for name in case.headers or {}}
    for mutation in getattr(data, "mutations", ()):  # the fuzzing phase lists its mutations
        if mutation.parameter_location is not ParameterLocation.HEADER:
            continue
        if mutation.path[:1] and str(mutation.path[0]).lower() == "authorization":
            return True
        if not mutation.path and "authorization" not in present:  # a required header left out
            return True
    return False


def _negatable(operation: Any) -> bool:
    return bool(len(operation.body) or len(operation.query) or len(operation.path_parameters))


def _explicit_cases(operation: Any, mode: schemathesis.GenerationMode) -> list[schemathesis.Case]:
    """schemathesis's examples phase (the document's own examples) and its coverage phase: boundary
    values, each parameter left out or of the wrong type, methods the path does not document."""
    schema = operation.schema
    cases: list[schemathesis.Case] = []
    if mode is schemathesis.GenerationMode.POSITIVE:
        cases += [generate_one(strategy) for strategy in operation.get_strategies_from_examples()]
    cases += schema.iter_coverage_cases(
        operation,
        generation_modes=[mode],
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
    )
    return cases


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda mode: mode.value)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_service_answers_as_its_document_says(
    marketplace: Running, known: Known, document: str, mode: schemathesis.GenerationMode
) -> None:
    """The examples, coverage and fuzzing phases of schemathesis, in one generation mode."""
    schema = _schema(document, marketplace)
    credentials = Credentials(marketplace.keys, document, schema, known)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    statuses: dict[tuple[str, str], set[int]] = defaultdict(set)
    for operation in operations:
        fuzzed: st.SearchStrategy[Any] | None
        if mode is schemathesis.GenerationMode.POSITIVE:
            fuzzed = _with_known_ids(operation, known)
        else:
            fuzzed = operation.as_strategy(mode) if _negatable(operation) else None  # NOTHING_TO_NEGATE
        check = _Check(operation.label, credentials.choices(operation), statuses)
        for case in _explicit_cases(operation, mode):
            check(case)
        if fuzzed is not None:
            _fuzz(fuzzed, check)
    if mode is schemathesis.GenerationMode.POSITIVE:
        # Each caller the operation admits gets somewhere: a success, not only 401, 403 or 404.
        unreached = {key: seen for key, seen in statuses.items() if not any(200 <= s < 300 for s in seen)}
        assert not unreached, f"no success answer to any valid request of (operation, caller): {unreached}"


class _Check:
    """Sends a case with every check; the callers take turns among those the operation admits."""

    def __init__(self, label: str, callers: list[Caller], statuses: dict[tuple[str, str], set[int]]) -> None:
        self.label = label
        self.callers = itertools.cycle(callers)
        self.statuses = statuses

    def __call__(self, case: schemathesis.Case) -> None:
        who, headers = next(self.callers)
        # A negative case whose Authorization schemathesis left out or mangled is sent as it is: that it
        # is refused is what the case is about.
        if _negates_authorization(case):
            who, headers = "nobody", {}
        response = case.call_and_validate(headers=headers, checks=ALL_CHECKS)
        self.statuses[self.label, who].add(response.status_code)


def _fuzz(cases: st.SearchStrategy[Any], check: Callable[[schemathesis.Case], None]) -> None:
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        derandomize=True,
    )
    @hypothesis.given(case=cases)
    def fuzz(case: schemathesis.Case) -> None:
        check(case)

    fuzz()


def _linked(document: str) -> bool:
    schema = schemathesis.openapi.from_path(CONTRACTS / f"{document}.yaml")
    schema.as_state_machine()
    return bool(schema.statistic.transitions.total)


LINKED = [document for document in DOCUMENTS if _linked(document)]


@pytest.mark.parametrize("document", LINKED)
def test_the_service_follows_its_links(marketplace: Running, known: Known, document: str) -> None:
    """The stateful phase: scenarios along the links (the gateway's placed order, followed, changed)."""
    schema = _schema(document, marketplace)
    credentials = Credentials(marketplace.keys, document, schema, known)

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            # Orders are placed for the user the token is for (anyone else's is a 403 with nothing to
            # follow); the ids the links carry are left as they are.
            positive = case.meta is not None and case.meta.generation.mode.is_positive
            if positive and isinstance(case.body, dict) and "customerId" in case.body:
                case.body["customerId"] = str(known.customer)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            if _negates_authorization(case):
                return {"headers": {}}
            return {"headers": credentials.choices(case.operation)[0][1]}

        def validate_response(
            self,
            response: schemathesis.Response,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(
                response,
                checks=ALL_CHECKS,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Scenarios.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            derandomize=True,
            phases=[hypothesis.Phase.generate],
        )
    )
