"""Organisations, users and groups: creation, changes and who may make them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from cyberhub import audit
from cyberhub.access import Viewer
from cyberhub.community import notices, security, system
from cyberhub.community.models import (
    Group,
    GroupMember,
    Organisation,
    Role,
    SecurityKey,
    User,
)
from cyberhub.community.validation import (
    clean_country,
    clean_email,
    clean_kind,
    clean_role,
    clean_sector,
    clean_text,
    name_key,
)
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _
from cyberhub.pagination import Page, paginate

# ---------------------------------------------------------------- permissions


def require_hub_admin(viewer: Viewer) -> None:
    if not viewer.is_hub_admin:
        raise PermissionDenied(_("Only hub administrators may do this."))


def can_manage_org_users(viewer: Viewer, org_id: uuid.UUID) -> bool:
    return viewer.is_hub_admin or (viewer.role is Role.ORG_ADMIN and viewer.org_id == org_id)


def can_manage_user(viewer: Viewer, user: User) -> bool:
    """Org admins manage their organisation's users, but not a hub administrator who
    belongs to it: that would let them lock out or take over the hub's operator."""
    if user.role is Role.HUB_ADMIN and not viewer.is_hub_admin:
        return False
    return can_manage_org_users(viewer, user.org_id)


def require_admin_factor(viewer: Viewer) -> None:
    """ASVS 4.3.1: an organisation's administration is not open to a password alone. An
    org admin manages the organisation and its members once enrolled in two-factor
    sign-in (hub admins always are: ``auth.second_factor_rule``); their own work as a
    member needs only what their organisation requires."""
    if viewer.role is Role.ORG_ADMIN and not viewer.has_second_factor:
        raise PermissionDenied(_("Organisation administrators must use two-factor sign-in to "
                                 "manage their organisation; enrol in your profile "
                                 "(/profile/2fa) first."))


def _refuse_system(org_id: uuid.UUID) -> None:
    """The hub's own organisations (reference data) are changed by the hub alone."""
    if system.is_system_org(org_id):
        raise PermissionDenied(_("This organisation holds the hub's reference data; it is "
                                 "maintained by 'cyberhub refdata load' and nobody signs in "
                                 "as it."))


def require_member(viewer: Viewer) -> None:
    if not viewer.is_authenticated:
        raise PermissionDenied(_("Sign in first."))


# ---------------------------------------------------------------- organisations


def create_organisation(
    session: Session, viewer: Viewer, *, name: str, kind: str, country: str | None = None,
    sector: str | None = None, require_2fa: bool = False, is_demo: bool = False,
) -> Organisation:
    require_hub_admin(viewer)
    name = clean_text(name, "name", max_len=200)
    org = Organisation(
        name=name, name_key=name_key(name), kind=clean_kind(kind),
        country=clean_country(country), sector=clean_sector(sector),
        require_2fa=require_2fa, is_demo=is_demo)
    if session.scalar(select(Organisation.id).where(Organisation.name_key == org.name_key)):
        raise Conflict(_("An organisation named %(name)r already exists.") % {"name": name},
                       details={"field": "name"})
    session.add(org)
    session.flush()
    audit.record(session, viewer.actor, "org.create", target_type="organisation",
                 target_id=org.id, details={"name": org.name, "kind": org.kind.value})
    return org


def update_organisation(
    session: Session, viewer: Viewer, org_id: uuid.UUID, *, name: str | None = None,
    kind: str | None = None, country: str | None = None, sector: str | None = None,
    require_2fa: bool | None = None,
) -> Organisation:
    org = get_organisation(session, viewer, org_id)
    if not can_manage_org_users(viewer, org.id):
        raise PermissionDenied(_("Only hub administrators and this organisation's admins may "
                                 "change it."))
    require_admin_factor(viewer)
    _refuse_system(org.id)
    changes: dict[str, object] = {}
    if name is not None:
        clean = clean_text(name, "name", max_len=200)
        key = name_key(clean)
        if key != org.name_key and session.scalar(
                select(Organisation.id).where(Organisation.name_key == key)):
            raise Conflict(_("An organisation named %(name)r already exists.") % {"name": clean},
                           details={"field": "name"})
        org.name, org.name_key = clean, key
        changes["name"] = clean
    if kind is not None:
        if not viewer.is_hub_admin:
            raise PermissionDenied(_("Only hub administrators may change an organisation's kind."))
        org.kind = clean_kind(kind)
        changes["kind"] = org.kind.value
    if country is not None:
        org.country = clean_country(country)
        changes["country"] = org.country
    if sector is not None:
        org.sector = clean_sector(sector)
        changes["sector"] = org.sector
    if require_2fa is not None:
        org.require_2fa = require_2fa
        changes["require_2fa"] = require_2fa
    session.flush()
    audit.record(session, viewer.actor, "org.update", target_type="organisation",
                 target_id=org.id, details=changes)
    return org


def get_organisation(session: Session, viewer: Viewer, org_id: uuid.UUID | str) -> Organisation:
    require_member(viewer)
    try:
        oid = org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id))
    except ValueError:
        raise NotFound() from None
    org = session.get(Organisation, oid)
    if org is None:
        raise NotFound()
    return org


def find_organisation(session: Session, name: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.name_key == name_key(name)))


def page_organisations(session: Session, viewer: Viewer, *, cursor: str | None,
                       limit: int) -> Page[Organisation]:
    require_member(viewer)
    return paginate(session, select(Organisation), Organisation.created_at, Organisation.id,
                    cursor=cursor, limit=limit)


def list_organisations(session: Session, viewer: Viewer) -> list[Organisation]:
    """The community directory: every member may see which organisations take part."""
    require_member(viewer)
    return list(session.scalars(select(Organisation).order_by(Organisation.name_key)))


# ---------------------------------------------------------------- users


def create_user(
    session: Session, viewer: Viewer, *, email: str, org_id: uuid.UUID, role: str,
    display_name: str | None = None, password: str | None = None, is_demo: bool = False,
    check_strength: bool = True,
) -> User:
    email = clean_email(email)
    role_ = clean_role(role)
    org = session.get(Organisation, org_id)
    if org is None:
        raise InvalidInput(_("No such organisation."), details={"field": "org"})
    if not can_manage_org_users(viewer, org.id):
        raise PermissionDenied(_("Only hub administrators and this organisation's admins may "
                                 "add its users."))
    require_admin_factor(viewer)
    _refuse_system(org.id)
    if role_ is Role.HUB_ADMIN and not viewer.is_hub_admin:
        raise PermissionDenied(_("Only hub administrators may appoint hub administrators."))
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(_("A user with the e-mail %(email)s already exists.") % {"email": email},
                       details={"field": "email"})
    name = clean_text(display_name or email.split("@")[0], "display_name", max_len=120)
    user = User(email=email, display_name=name, org_id=org.id, role=role_, is_demo=is_demo)
    if password is not None:
        if check_strength:
            security.check_password_strength(password, user_inputs=[email, name, org.name])
        user.password_hash = security.hash_password(password)
        user.password_expires_at = _initial_expiry(viewer, user)
    session.add(user)
    session.flush()
    audit.record(session, viewer.actor, "user.create", target_type="user", target_id=user.id,
                 details={"email": email, "org": org.name, "role": role_.value})
    return user


def get_user(session: Session, viewer: Viewer, user_id: uuid.UUID | str) -> User:
    require_member(viewer)
    try:
        uid = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound() from None
    user = session.get(User, uid)
    if user is None:
        raise NotFound()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def list_users(session: Session, viewer: Viewer, *, org_id: uuid.UUID | None = None) -> list[User]:
    """Members see the directory (needed to name recipients); admins manage from it."""
    require_member(viewer)
    # Their keys with them, in one more query: the admins' table says who has 2FA.
    q = select(User).options(selectinload(User.security_keys)).order_by(User.email)
    if org_id is not None:
        q = q.where(User.org_id == org_id)
    return list(session.scalars(q))


def page_users(session: Session, viewer: Viewer, *, org_id: uuid.UUID | None = None,
               cursor: str | None, limit: int) -> Page[User]:
    require_member(viewer)
    q = select(User)
    if org_id is not None:
        q = q.where(User.org_id == org_id)
    return paginate(session, q, User.created_at, User.id, cursor=cursor, limit=limit)


def update_user(
    session: Session, viewer: Viewer, user_id: uuid.UUID, *, display_name: str | None = None,
    role: str | None = None, is_active: bool | None = None,
) -> User:
    user = get_user(session, viewer, user_id)
    if not can_manage_user(viewer, user):
        raise PermissionDenied(_("Only hub administrators and this organisation's admins may "
                                 "change its users."))
    require_admin_factor(viewer)
    _refuse_system(user.org_id)
    changes: dict[str, object] = {}
    if display_name is not None:
        user.display_name = clean_text(display_name, "display_name", max_len=120)
        changes["display_name"] = user.display_name
    if role is not None:
        new_role = clean_role(role)
        if Role.HUB_ADMIN in (new_role, user.role) and not viewer.is_hub_admin:
            raise PermissionDenied(_("Only hub administrators may appoint or remove hub "
                                     "administrators."))
        if user.id == viewer.user_id and new_role is not user.role:
            raise InvalidInput(_("You cannot change your own role."), details={"field": "role"})
        user.role = new_role
        changes["role"] = new_role.value
    if is_active is not None:
        if user.id == viewer.user_id and not is_active:
            raise InvalidInput(_("You cannot deactivate yourself."), details={"field": "is_active"})
        user.is_active = is_active
        changes["is_active"] = is_active
        if not is_active:
            from cyberhub.community import auth

            auth.revoke_all_sessions(session, user.id)
    session.flush()
    audit.record(session, viewer.actor, "user.update", target_type="user", target_id=user.id,
                 details=changes)
    return user


def _initial_expiry(viewer: Viewer, user: User) -> datetime | None:
    """When a password set by ``viewer`` for ``user`` stops working: an administrator's
    choice for someone else is one-time (ASVS 2.3.1); the user's own, and the operator's
    at the command line (who sets up the hub's first accounts at its console), are not."""
    if viewer.user_id is None or viewer.user_id == user.id:
        return None
    return utcnow() + timedelta(hours=get_settings().initial_password_hours)


def set_password(session: Session, viewer: Viewer, user: User, password: str) -> None:
    """Set a user's password: the user themself, or an admin who manages their org."""
    if viewer.user_id != user.id and not can_manage_user(viewer, user):
        raise PermissionDenied(_("Only hub administrators and this organisation's admins may "
                                 "set its users' passwords."))
    if viewer.user_id != user.id:
        require_admin_factor(viewer)
    _refuse_system(user.org_id)
    security.check_password_strength(
        password, user_inputs=[user.email, user.display_name, user.organisation.name])
    user.password_hash = security.hash_password(password)
    user.password_expires_at = _initial_expiry(viewer, user)
    session.flush()
    audit.record(session, viewer.actor, "user.password", target_type="user", target_id=user.id,
                 details={"one_time": user.password_expires_at is not None})
    notices.account_changed(session, user, notices.PASSWORD_CHANGED if viewer.user_id == user.id
                            else notices.PASSWORD_SET)


def reset_second_factor(session: Session, viewer: Viewer, user_id: uuid.UUID) -> User:
    """An admin turns off a user's second factor, e.g. after a lost phone or key: the
    authenticator app and every security key. The user's sessions end so the next sign-in
    asks for (re-)enrolment where it is required."""
    user = get_user(session, viewer, user_id)
    if not can_manage_user(viewer, user):
        raise PermissionDenied(_("Only hub administrators and this organisation's admins may "
                                 "reset its users' second factor."))
    require_admin_factor(viewer)
    user.totp_enabled = False
    user.totp_secret_enc = None
    user.totp_last_step = None
    keys = session.execute(delete(SecurityKey).where(SecurityKey.user_id == user.id))
    session.expire(user, ["security_keys"])
    from cyberhub.community import auth

    auth.revoke_all_sessions(session, user.id)
    session.flush()
    audit.record(session, viewer.actor, "user.reset_2fa", target_type="user", target_id=user.id,
                 details={"security_keys": int(getattr(keys, "rowcount", 0) or 0)})
    notices.account_changed(session, user, notices.TOTP_RESET)
    return user


# ---------------------------------------------------------------- groups


def create_group(
    session: Session, viewer: Viewer, *, name: str, description: str = "",
    org_ids: Iterable[uuid.UUID] = (), user_ids: Iterable[uuid.UUID] = (), is_demo: bool = False,
) -> Group:
    require_hub_admin(viewer)
    name = clean_text(name, "name", max_len=200)
    key = name_key(name)
    if session.scalar(select(Group.id).where(Group.name_key == key)):
        raise Conflict(_("A group named %(name)r already exists.") % {"name": name},
                       details={"field": "name"})
    group = Group(name=name, name_key=key, created_by_id=viewer.user_id, is_demo=is_demo,
                  description=clean_text(description, "description", max_len=2000, min_len=0))
    session.add(group)
    session.flush()
    _set_members(session, group, org_ids, user_ids)
    audit.record(session, viewer.actor, "group.create", target_type="group", target_id=group.id,
                 details={"name": name})
    return group


def update_group(
    session: Session, viewer: Viewer, group_id: uuid.UUID, *, name: str | None = None,
    description: str | None = None, org_ids: Iterable[uuid.UUID] | None = None,
    user_ids: Iterable[uuid.UUID] | None = None,
) -> Group:
    require_hub_admin(viewer)
    group = get_group(session, viewer, group_id)
    if name is not None:
        clean = clean_text(name, "name", max_len=200)
        key = name_key(clean)
        if key != group.name_key and session.scalar(select(Group.id).where(Group.name_key == key)):
            raise Conflict(_("A group named %(name)r already exists.") % {"name": clean},
                           details={"field": "name"})
        group.name, group.name_key = clean, key
    if description is not None:
        group.description = clean_text(description, "description", max_len=2000, min_len=0)
    if org_ids is not None or user_ids is not None:
        current_orgs = [m.org_id for m in group.members if m.org_id]
        current_users = [m.user_id for m in group.members if m.user_id]
        session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
        session.expire(group, ["members"])
        _set_members(session, group,
                     org_ids if org_ids is not None else current_orgs,
                     user_ids if user_ids is not None else current_users)
    session.flush()
    audit.record(session, viewer.actor, "group.update", target_type="group", target_id=group.id)
    return group


def _set_members(session: Session, group: Group, org_ids: Iterable[uuid.UUID],
                 user_ids: Iterable[uuid.UUID]) -> None:
    orgs, users = sorted(set(org_ids)), sorted(set(user_ids))
    if orgs and session.scalar(select(func.count()).where(Organisation.id.in_(orgs))) != len(orgs):
        raise InvalidInput(_("A group member organisation does not exist."),
                           details={"field": "org_ids"})
    if users and session.scalar(select(func.count()).where(User.id.in_(users))) != len(users):
        raise InvalidInput(_("A group member user does not exist."), details={"field": "user_ids"})
    for oid in orgs:
        session.add(GroupMember(group_id=group.id, org_id=oid))
    for uid in users:
        session.add(GroupMember(group_id=group.id, user_id=uid))
    session.flush()


def get_group(session: Session, viewer: Viewer, group_id: uuid.UUID | str) -> Group:
    require_member(viewer)
    try:
        gid = group_id if isinstance(group_id, uuid.UUID) else uuid.UUID(str(group_id))
    except ValueError:
        raise NotFound() from None
    group = session.get(Group, gid)
    if group is None:
        raise NotFound()
    return group


def page_groups(session: Session, viewer: Viewer, *, cursor: str | None,
                limit: int) -> Page[Group]:
    require_member(viewer)
    return paginate(session, select(Group), Group.created_at, Group.id, cursor=cursor,
                    limit=limit)


def list_groups(session: Session, viewer: Viewer) -> list[Group]:
    require_member(viewer)
    return list(session.scalars(select(Group).order_by(Group.name_key)))


def find_group(session: Session, name: str) -> Group | None:
    return session.scalar(select(Group).where(Group.name_key == name_key(name)))


# ---------------------------------------------------------------- own profile


def set_own_display_name(session: Session, viewer: Viewer, user: User, display_name: str) -> User:
    """Every user may rename themself; roles and activation stay with the admins."""
    if viewer.user_id != user.id:
        raise PermissionDenied(_("You may only change your own name here."))
    user.display_name = clean_text(display_name, "display_name", max_len=120)
    session.flush()
    audit.record(session, viewer.actor, "user.update", target_type="user", target_id=user.id,
                 details={"display_name": user.display_name})
    return user


def set_own_locale(session: Session, viewer: Viewer, user: User, locale: str | None) -> User:
    """Every user chooses their own language; None follows the browser's."""
    from cyberhub import i18n

    if viewer.user_id != user.id:
        raise PermissionDenied(_("You may only change your own language here."))
    chosen = i18n.supported(locale) if locale else None
    if locale and chosen is None:
        raise InvalidInput(_("Choose one of the languages offered."),
                           details={"field": "locale"})
    user.locale = chosen
    session.flush()
    audit.record(session, viewer.actor, "user.update", target_type="user", target_id=user.id,
                 details={"locale": chosen})
    return user


def change_own_password(session: Session, viewer: Viewer, user: User, *, current: str,
                        new: str, keep_session_id: uuid.UUID | None = None) -> int:
    """Check the current password, set a strong new one and sign out every other session.
    Returns how many other sessions were signed out."""
    from cyberhub.community import auth

    if viewer.user_id != user.id:
        raise PermissionDenied(_("You may only change your own password here."))
    if not auth.check_password_attempt(session, user, current, ip=viewer.ip,
                                       reason="change-password"):
        raise InvalidInput(_("The current password is wrong."),
                           details={"field": "current_password"}, keep_changes=True)
    if new == current:
        raise InvalidInput(_("The new password must differ from the current one."),
                           details={"field": "password"})
    set_password(session, viewer, user, new)
    return auth.revoke_other_sessions(session, user.id, keep_session_id)
