"""Online fee payment: start an attempt, settle the gateway's callbacks. The only writers of
``PaymentAttempt``; the money goes to the dossier through ``dossiers.services.record_payment``.

A callback (the browser's return or the gateway's server-to-server notification) is trusted only
after the provider verified its signature, then matched to its attempt by reference and amount.
Return and notification may arrive in any order, twice, or at the same moment: the attempt row is
locked and settled once; the later ones find it settled and change nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Mapping

from django.db import transaction
from django.utils import timezone

from motcua.accounts.models import Applicant
from motcua.dossiers import rules
from motcua.dossiers.errors import DossierError, NotFound
from motcua.dossiers.models import Dossier, PaymentMethod
from motcua.dossiers.services import get_dossier, record_payment
from motcua.payments.models import AttemptState, PaymentAttempt
from motcua.payments.providers import NotConfigured, get_provider
from motcua.payments.providers.base import BadCallback, GatewayResult, Outcome

__all__ = ["Settlement", "owed", "why_not_payable", "dossier_of", "start", "settle", "unavailable_reason"]

UNAVAILABLE = "Thanh toán trực tuyến hiện chưa sẵn sàng. Vui lòng nộp phí, lệ phí tại Bộ phận Một cửa."


@dataclass(frozen=True)
class Settlement:
    outcome: Outcome
    attempt: PaymentAttempt | None
    answer: dict  # the gateway's expected answer to its notification


def owed(d: Dossier) -> int:
    """đồng still to pay: the dossier's fees minus what was paid (at the desk or online)."""
    return max(d.fee_total - d.fee_paid, 0)


def why_not_payable(d: Dossier) -> str | None:
    """None when the applicant may pay online now, else the reason in Vietnamese."""
    if owed(d) == 0:
        return "Hồ sơ không còn khoản phí, lệ phí nào phải nộp."
    return rules.check_state("record_payment", d.state)


def unavailable_reason() -> str | None:
    try:
        get_provider()
    except NotConfigured:
        return UNAVAILABLE
    return None


def dossier_of(applicant: Applicant | None, key: str) -> Dossier:
    """The applicant's dossier by its code (or, before the desk gave it one, its reference);
    NotFound for anyone else's, so that a guessed code reveals nothing."""
    try:
        d = get_dossier(key)
    except NotFound:
        raise NotFound("Không tìm thấy hồ sơ.") from None
    if applicant is None or d.applicant_id != applicant.pk:
        raise NotFound("Không tìm thấy hồ sơ.")
    return d


def _new_reference(now) -> str:
    # VNPay wants vnp_TxnRef unique per merchant (per day at least): date + 10 random hex digits.
    return f"{timezone.localtime(now):%y%m%d}{secrets.token_hex(5).upper()}"


def start(d: Dossier, *, user, client_ip: str | None, return_url: str) -> tuple[PaymentAttempt, str]:
    """A new attempt for what the dossier still owes, and the gateway URL to send the browser to."""
    problem = why_not_payable(d)
    if problem:
        raise DossierError(problem, code="not_payable")
    now = timezone.now()
    reference = _new_reference(now)
    amount = owed(d)
    try:
        provider = get_provider()
        url = provider.redirect_url(reference=reference, amount=amount, return_url=return_url,
                                    description=f"Thanh toán phí, lệ phí hồ sơ {d.code or d.reference}",
                                    client_ip=client_ip or "", now=now)
    except NotConfigured:
        raise DossierError(UNAVAILABLE, code="payment_unavailable") from None
    attempt = PaymentAttempt.objects.create(dossier=d, provider=provider.name, amount=amount, reference=reference,
                                            started_by=user, client_ip=client_ip or None, created_at=now)
    return attempt, url


def settle(params: Mapping[str, str], *, via: str) -> Settlement:
    """Verify a callback and settle its attempt once. ``via`` is "ipn" or "return" (kept as evidence).
    Raises NotConfigured when no provider is configured (nothing can be verified then)."""
    provider = get_provider()
    try:
        result = provider.read_callback(params)
    except BadCallback as exc:
        return Settlement(exc.outcome, None, provider.answer(exc.outcome))
    with transaction.atomic():
        # The lock makes return and notification arriving together settle one after the other.
        attempt = (PaymentAttempt.objects.select_for_update().select_related("dossier")
                   .filter(reference=result.reference, provider=provider.name).first())
        if attempt is None:
            outcome = Outcome.NOT_FOUND
        elif result.amount != attempt.amount:
            outcome = Outcome.WRONG_AMOUNT
        elif attempt.state != AttemptState.PENDING:
            outcome = Outcome.ALREADY_CONFIRMED
        else:
            _finish(attempt, result, via)
            outcome = Outcome.CONFIRMED
    return Settlement(outcome, attempt, provider.answer(outcome))


def _finish(attempt: PaymentAttempt, result: GatewayResult, via: str) -> None:
    attempt.finished_at = timezone.now()
    attempt.finished_via = via
    attempt.transaction_no = result.transaction_no
    attempt.response_code = result.response_code
    attempt.params = result.params
    if result.paid:
        try:
            # The same reference twice is one payment (record_payment is idempotent on it).
            record_payment(attempt.dossier_id, None, amount=attempt.amount, method=PaymentMethod.ONLINE,
                           reference=attempt.reference)
            attempt.state = AttemptState.PAID
        except DossierError as exc:
            # The gateway has the money but the dossier refuses it (paid at the desk meanwhile,
            # withdrawn, ...): kept visible for a refund rather than lost.
            attempt.state = AttemptState.REFUND_DUE
            attempt.note = exc.message
    elif result.cancelled:
        attempt.state = AttemptState.CANCELLED
    else:
        attempt.state = AttemptState.FAILED
        attempt.note = f"Cổng thanh toán trả mã {result.response_code or '?'}."
    attempt.save()
    _announce(attempt)


def _announce(attempt: PaymentAttempt) -> None:
    """Tell subscribed systems (accounting, the national portal's sync) in the same transaction:
    the outbox's webhook topic ``payment.settled``. Applicants are not messaged from here."""
    from motcua.notify.services import enqueue

    d = attempt.dossier
    enqueue("payment.settled", {
        "code": d.code or "", "reference": str(d.reference), "payment_reference": attempt.reference,
        "provider": attempt.provider, "amount": attempt.amount, "state": attempt.state,
        "transaction_no": attempt.transaction_no, "via": attempt.finished_via,
        "settled_at": attempt.finished_at.isoformat(), "note": attempt.note,
    }, dossier_reference=str(d.reference))
