"""Who may do what in training.

Every staff role takes training (``training.view_course``), starts attempts
(``training.add_attempt``), reads its own certificates and KPIs and writes suggestions.
Supervisors (``training.add_assignment``, ``training.view_team_kpis``,
``training.change_suggestion``) assign courses, read every staff member's progress and KPIs and
answer suggestions. Customers and users without a role see nothing (the selectors return
empty querysets, so an id outside them is a 404).
"""

from portal.roles import ROLE_SPECS, STAFF_ROLES

TAKE_TRAINING = "training.view_course"
MANAGE_TRAINING = "training.add_assignment"
VIEW_TEAM = "training.view_team_kpis"
ANSWER_SUGGESTIONS = "training.change_suggestion"


def is_staff_member(user) -> bool:
    return user.is_authenticated and any(
        user.has_perm(ROLE_SPECS[role].permission) for role in STAFF_ROLES
    )


def may_take_training(user) -> bool:
    return is_staff_member(user) and user.has_perm(TAKE_TRAINING)


def may_manage_training(user) -> bool:
    return is_staff_member(user) and user.has_perm(MANAGE_TRAINING)


def may_view_team(user) -> bool:
    return is_staff_member(user) and user.has_perm(VIEW_TEAM)


def may_answer_suggestions(user) -> bool:
    return is_staff_member(user) and user.has_perm(ANSWER_SUGGESTIONS)
