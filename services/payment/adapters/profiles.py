"""The customer's payment profile from the user service: `GET /api/users/{userId}/payment-profile`.

The design document's matrix gives this call an SLA under 100 ms. Each call is bounded by `timeout` (300
ms by default: three times the SLA, which is a p99 target and not a deadline; at 80 ms a busy 2-core
machine turned most validations into rejections), and a circuit breaker stops calling after consecutive
failures and answers at once. Either way the answer is `ProfileProblem.UNAVAILABLE`: the validation is
retried after the consumer's backoff, and only its last attempt answers `profile_unavailable`
(`application.methods.PROFILE_ATTEMPTS`); the saga's deadline on the step bounds the wait. A 404 is an
answer (the customer is unknown), not a failure of the service; 401/403 mean this service's token was
refused (a configuration fault, logged as an error) and count as unavailable without tripping the breaker.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

from a4co_sdk._runtime.errors import ApiError
from a4co_sdk._runtime.http_errors import Forbidden, HttpError, NotFound, ServerError, Unauthorized
from a4co_sdk.clients.user import UserClient
from a4co_sdk.models import user
from services.payment.application.ports import ProfileSource
from services.payment.domain.validation import Profile, ProfileMethod, ProfileProblem
from services.platform.circuit_breaker import CircuitBreaker, CircuitOpenError

__all__ = ["PROFILE_TIMEOUT", "UserProfiles", "dependency_failed", "to_profile"]

log = logging.getLogger(__name__)

PROFILE_TIMEOUT = 0.3


def dependency_failed(exc: BaseException) -> bool:
    """What the breaker counts: no answer, a 5xx, or an answer the contract does not describe."""
    if isinstance(exc, TimeoutError):
        return True
    if isinstance(exc, HttpError):
        return exc.status == 0 or isinstance(exc, ServerError) or exc.status >= 500
    return isinstance(exc, ApiError)


def to_profile(answer: user.PaymentProfile) -> Profile:
    return Profile(
        blocked=answer.status is user.PaymentProfileStatus.BLOCKED,
        methods={
            m.payment_method_id: ProfileMethod(
                m.payment_method_id, m.type.value, m.status is user.PaymentMethodStatus.EXPIRED
            )
            for m in answer.payment_methods
        },
    )


class UserProfiles(ProfileSource):
    def __init__(
        self, client: UserClient, breaker: CircuitBreaker | None = None, *, timeout: float = PROFILE_TIMEOUT
    ) -> None:
        self.client = client
        self.breaker = breaker or CircuitBreaker("user", is_failure=dependency_failed)
        self.timeout = timeout

    async def warm_up(self, timeout: float = 3.0) -> bool:  # noqa: ASYNC109 - a bounded, one-off wait
        """Ask once, off the clock, so the first real validation does not pay for cold connections.

        Measured: the first profile a fresh user service serves takes about a second (its keys, its
        database and this client's connection are all cold), the next ones 5-20 ms. Outside the breaker:
        a user service still starting is not a failure. True when it answered (404 for the nil id).
        """
        try:
            async with asyncio.timeout(timeout):
                await self.client.get_payment_profile(user_id=UUID(int=0), timeout=timeout)
        except NotFound:
            return True
        except (TimeoutError, ApiError) as exc:
            log.debug("warming up the user service connection: %s", exc)
            return False
        return True

    async def _fetch(self, customer_id: UUID) -> user.PaymentProfile:
        async with asyncio.timeout(self.timeout):
            return await self.client.get_payment_profile(user_id=customer_id, timeout=self.timeout)

    async def profile(self, customer_id: UUID) -> Profile | ProfileProblem:
        try:
            answer = await self.breaker.call(lambda: self._fetch(customer_id))
        except NotFound:
            return ProfileProblem.UNKNOWN_CUSTOMER
        except (Unauthorized, Forbidden) as exc:
            log.error("the user service refused this service's token: %s", exc)  # noqa: TRY400 - no traceback needed
            return ProfileProblem.UNAVAILABLE
        except CircuitOpenError:
            return ProfileProblem.UNAVAILABLE
        except (TimeoutError, ApiError) as exc:
            log.warning("payment profile of %s unavailable: %s: %s", customer_id, type(exc).__name__, exc)
            return ProfileProblem.UNAVAILABLE
        return to_profile(answer)
