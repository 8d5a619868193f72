"""The words the interface uses for an operation's and a task's status, in the active
language: one place for the pages, the API's messages and the timeline."""

from __future__ import annotations

from cyberhub.i18n import _, pgettext
from cyberhub.operations.models import OperationStatus, TaskStatus


def status_labels() -> dict[str, str]:
    # A context of their own: the words agree with "operation" in gendered languages.
    return {
        OperationStatus.PROPOSED: pgettext("operation status", "Proposed"),
        OperationStatus.APPROVED: pgettext("operation status", "Approved"),
        OperationStatus.ACTIVE: pgettext("operation status", "Active"),
        OperationStatus.CONCLUDED: pgettext("operation status", "Concluded"),
        OperationStatus.REVIEWED: pgettext("operation status", "Reviewed"),
    }


def task_labels() -> dict[str, str]:
    return {TaskStatus.OPEN: pgettext("task status", "Open"),
            TaskStatus.IN_PROGRESS: _("In progress"),
            TaskStatus.DONE: _("Done"), TaskStatus.CANCELLED: _("Cancelled")}


def status_label(status: OperationStatus) -> str:
    return status_labels()[status]


def task_label(status: TaskStatus) -> str:
    return task_labels()[status]
