"""``services.available_commands`` says exactly what the commands themselves do: at many points of
a dossier's life and for every kind of officer, each command the helper allows runs, and each it
refuses is refused by the command with the same exception and the same Vietnamese message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

import factories
from motcua.calendar import Duration
from motcua.dossiers import services as s
from motcua.dossiers.errors import DossierError
from motcua.dossiers.models import AgencyTask, Dossier, LedgerEvent
from test_dossiers import at, lodge_online, received

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def _inputs(w, d: Dossier) -> dict:
    step = d.current_step
    by_role = {"receptionist": w.receptionist, "specialist": w.specialist2, "leader": w.leader, "clerk": w.clerk}
    return {
        "accept": {}, "request_intake_supplement": {"items": ["Đơn đề nghị"], "reason": "Thiếu đơn"},
        "refuse_intake": {"reasons": ["Không thuộc thẩm quyền"]}, "record_intake_supplement": {}, "claim": {},
        "assign": {"assignee": by_role[step.role] if step else w.specialist2}, "forward": {}, "approve": {},
        "refuse": {"reasons": ["Không đủ điều kiện"]}, "issue_result": {"number": "12/GP"},
        "send_back": {"reason": "Làm lại"}, "request_supplement": {"items": ["Bản sao"], "reason": "Thiếu"},
        "record_supplement": {}, "request_payment": {},
        "transfer": {"tasks": [s.TaskSpec(w.tree["construction"], "Phối hợp", Duration(1, "working_days"))]},
        "consult": {"unit": w.tree["construction"], "question": "Ý kiến?", "duration": Duration(1, "working_days")},
        "apologise": {"reason": "Chờ xác minh", "extension": Duration(1, "working_days")},
        "return_result": {"method": "desk"}, "withdraw": {"reason": "Không còn nhu cầu"}, "stop": {"reason": "Dừng"},
        "record_payment": {"amount": 1, "method": "cash", "reference": "BL-TEST"},
    }


def _outcome(w, d: Dossier, key: str, actor, moment) -> DossierError | None:
    """Run the command for real inside a savepoint that is always rolled back."""
    name, _, task = key.partition(":")
    try:
        with transaction.atomic():
            if name == "complete_task":
                s.complete_task(int(task), actor, answer="Xong", at=moment)
            else:
                getattr(s, name)(d.pk, actor, at=moment, **_inputs(w, d)[name])
            raise _Rollback
    except _Rollback:
        return None
    except DossierError as exc:
        return exc


def _stages(w):
    """(label, dossier) at many points of a life; each dossier has its own history."""
    def fresh(day):
        return s.forward(received(w, when=at(day, 9)), w.receptionist, at=at(day, 10))

    stages = [("submitted", lodge_online(w, when=at(15, 8)))]
    d = s.register_at_desk(w.receptionist, w.desk, w.applicant, w.variant, at=at(15, 8))
    stages.append(("intake_supplement", s.request_intake_supplement(d, w.receptionist, items=["Đơn"], reason="Thiếu",
                                                                    at=at(15, 8, 5))))
    stages.append(("received", received(w, when=at(15, 9))))
    stages.append(("unclaimed", fresh(15)))
    claimed = s.claim(fresh(15), w.specialist, at=at(15, 10, 5))
    stages.append(("claimed", claimed))
    stages.append(("awaiting_supplement", s.request_supplement(s.claim(fresh(16), w.specialist, at=at(16, 10, 5)),
                                                               w.specialist, items=["Bản sao"], reason="Thiếu",
                                                               at=at(16, 11))))
    leader = s.forward(s.claim(fresh(16), w.specialist, at=at(16, 10, 5)), w.specialist, at=at(16, 11))
    stages.append(("leader_step", leader))
    apologised = s.forward(s.claim(fresh(16), w.specialist, at=at(16, 10, 5)), w.specialist, at=at(16, 11))
    stages.append(("apologised", s.apologise(apologised, w.leader, reason="Chậm",
                                             extension=Duration(1, "working_days"), at=at(16, 12))))
    clerk = s.approve(s.forward(s.claim(fresh(17), w.specialist, at=at(17, 10, 5)), w.specialist, at=at(17, 11)),
                      w.leader, at=at(17, 12))
    stages.append(("clerk_step", clerk))
    ready = s.issue_result(s.approve(s.forward(s.claim(fresh(17), w.specialist, at=at(17, 10, 5)), w.specialist,
                                               at=at(17, 11)), w.leader, at=at(17, 12)),
                           w.clerk, number="1/GP", at=at(17, 14))
    stages.append(("result_ready", ready))
    stages.append(("returned", s.return_result(s.issue_result(s.approve(s.forward(
        s.claim(fresh(18), w.specialist, at=at(18, 10, 5)), w.specialist, at=at(18, 11)), w.leader, at=at(18, 12)),
        w.clerk, number="2/GP", at=at(18, 14)), w.receptionist, method="desk", at=at(18, 15))))
    stages.append(("refused", s.refuse(s.forward(s.claim(fresh(18), w.specialist, at=at(18, 10, 5)), w.specialist,
                                                 at=at(18, 11)), w.leader, reasons=["Không đủ"], at=at(18, 12))))
    stages.append(("transfer", s.transfer(s.claim(fresh(19), w.specialist, at=at(19, 10, 5)), w.specialist,
                                          tasks=[s.TaskSpec(w.tree["construction"], "Phối hợp",
                                                            Duration(1, "working_days")),
                                                 s.TaskSpec(w.tree["commune_a"], "Xác minh",
                                                            Duration(1, "working_days"))],
                                          at=at(19, 11))))
    stages.append(("awaiting_payment", s.request_payment(s.claim(fresh(19), w.specialist, at=at(19, 10, 5)),
                                                         w.specialist, at=at(19, 11))))
    stages.append(("stopped", s.stop(fresh(19), w.leader, reason="Người nộp đề nghị dừng", at=at(19, 11))))
    return stages


def test_available_commands_agree_with_the_commands():
    w = factories.dossier_world(supplement_rule="pause")
    actors = {"receptionist": w.receptionist, "specialist": w.specialist, "specialist2": w.specialist2,
              "leader": w.leader, "clerk": w.clerk, "outsider": w.outsider, "citizen": w.citizen}
    allowed_somewhere, checked = set(), 0
    for label, d in _stages(w):
        d = Dossier.objects.get(pk=d.pk)
        moment = LedgerEvent.objects.filter(dossier=d).order_by("-seq").first().at + dt.timedelta(minutes=1)
        events = LedgerEvent.objects.filter(dossier=d).count()
        for who, actor in actors.items():
            verdicts = s.available_commands(d, actor, moment)
            assert Dossier.objects.get(pk=d.pk).version == d.version  # the helper changes nothing
            for key, verdict in verdicts.items():
                outcome = _outcome(w, Dossier.objects.get(pk=d.pk), key, actor, moment)
                context = f"{label} / {who} / {key}"
                if verdict is None:
                    assert outcome is None, f"{context}: allowed, but the command said {outcome!r}"
                    allowed_somewhere.add(key.partition(":")[0])
                else:
                    assert outcome is not None, f"{context}: refused ({verdict.message}), but the command ran"
                    assert (type(outcome), outcome.message) == (type(verdict), verdict.message), context
                checked += 1
        assert LedgerEvent.objects.filter(dossier=d).count() == events
    assert checked > 1500
    # every command of a dossier page is offered at some point of these lives
    assert allowed_somewhere >= {
        "accept", "request_intake_supplement", "refuse_intake", "record_intake_supplement", "claim", "assign",
        "forward", "approve", "refuse", "issue_result", "send_back", "request_supplement", "record_supplement",
        "request_payment", "transfer", "consult", "apologise", "return_result", "withdraw", "stop", "record_payment",
        "complete_task"}


def test_the_helper_gives_the_reason_the_officer_needs():
    w = factories.dossier_world()
    d = s.forward(received(w), w.receptionist, at=at(15, 10))
    s.claim(d, w.specialist, at=at(15, 10, 5))
    verdicts = s.available_commands(d, w.specialist2, at(15, 11))
    assert verdicts["claim"].message == "Bước “Thẩm định hồ sơ” đang do cán bộ Cán bộ thử nghiệm xử lý."
    leader = s.available_commands(d, w.leader, at(19, 10))
    assert leader["apologise"].code == "apology_too_late"
    assert "chậm nhất 01 ngày làm việc" in leader["apologise"].message
    assert AgencyTask.objects.count() == 0
