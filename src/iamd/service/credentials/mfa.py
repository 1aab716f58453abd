"""Virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice, DeactivateMFADevice,
DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices, GetMFADevice and the device's tags.

A virtual device is a TOTP seed (``security.totp``) under a serial number that is its ARN,
``arn:aws:iam::<account>:mfa<path><name>``. The seed leaves the server once, in CreateVirtualMFADevice's
answer (as Base32 text and as a QR code); at rest it is sealed by the SecretBox, bound to the serial
number. A device is enabled for one user with two consecutive codes, and is then "assigned"; deactivating
it makes it unassigned again, ready for another user; only an unassigned device can be deleted.

A code is accepted once: the newest accepted time step is stored (``last_time_step``) and a code of that
step or an earlier one is refused, with a conditional UPDATE so that two requests racing with one code
cannot both win. ``verify_code`` is the check STS's GetSessionToken (and the console's sign-in) make.
ResyncMFADevice accepts a pair of consecutive codes further from the server's clock than EnableMFADevice
does; iamd stores no per-device drift, so a resync only proves the device and moves the replay mark.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    NoSuchEntity,
)
from iamd.security import ids, totp
from iamd.security.principal_kind import PrincipalKind
from iamd.service import tags as tagging, targets
from iamd.service.account import quotas
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.service.identities import users
from iamd.service.pagination import DEFAULT_MAX_ITEMS, decode_marker, page
from iamd.store.locks import lock_row
from iamd.store.schema import accounts, mfa_devices, users as users_table

MAX_DEVICES_PER_USER = quotas.MFA_DEVICES.limit
RESYNC_WINDOW = 10  # steps (5 minutes) either side of now, for a device whose clock has drifted

ALREADY_EXISTS = "MFA device already exists."
IN_USE = "MFA Device is already in use."
INVALID_CODE = "Authentication code for device is not valid."
DELETE_IN_USE = "MFA VirtualDevice in use. Must deactivate first."
INVALID_FOR_USER = "MFA Device invalid for user."
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def serial_number(account_id: str, path: str, name: str) -> str:
    return ids.entity_arn(account_id, "mfa", path, name)


def not_found(serial: str) -> NoSuchEntity:
    return NoSuchEntity(f"MFA Device with serial number {serial} does not exist.")


def _device_id() -> str:
    """A 21-character unique id for the device's tags, shaped like IAM's other unique ids."""
    return "AMFA" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def _find_device(tx: Connection, account_id: str, serial: str):
    row = tx.execute(select(mfa_devices).where(mfa_devices.c.serial_number == serial,
                                               mfa_devices.c.account_id == account_id)).first()
    if row is None:
        raise not_found(serial)
    return row


def _seed(call: Call, row) -> str:
    return call.env.secrets.open(row.seed, row.serial_number)


def _account_label(tx: Connection, account_id: str) -> str:
    return tx.scalar(select(accounts.c.alias).where(accounts.c.id == account_id)) or account_id


def _take_step(tx: Connection, serial: str, step: int, **changes) -> bool:
    """Move the device's replay mark to ``step`` unless a newer code got there first."""
    done = tx.execute(update(mfa_devices).where(
        mfa_devices.c.serial_number == serial,
        (mfa_devices.c.last_time_step.is_(None)) | (mfa_devices.c.last_time_step < step),
    ).values(last_time_step=step, **changes))
    return done.rowcount == 1


# --- plain functions, for the handlers, STS and the console ------------------------------------------

def create_virtual_device(tx: Connection, call: Call, name: str, path: str = "/",
                          new_tags: list[dict] | None = None) -> dict:
    """A new unassigned device: its VirtualMFADevice answer, with the seed and the QR code PNG."""
    new_tags = new_tags or []
    tagging.check_no_duplicates(new_tags, case_insensitive=True)
    serial = serial_number(call.account_id, path, name)
    if tx.execute(select(mfa_devices.c.id).where(mfa_devices.c.serial_number == serial)).first():
        raise EntityAlreadyExists(ALREADY_EXISTS)
    seed, device_id = totp.new_seed(), _device_id()
    try:
        tx.execute(insert(mfa_devices).values(
            serial_number=serial, id=device_id, account_id=call.account_id, name=name, path=path,
            seed=call.env.secrets.seal(seed, serial), created_at=call.now,
        ))
    except IntegrityError:
        raise EntityAlreadyExists(ALREADY_EXISTS) from None
    if new_tags:
        tagging.put_tags(tx, device_id, new_tags)
    uri = totp.provisioning_uri(seed, name, _account_label(tx, call.account_id))
    device = {"SerialNumber": serial, "Base32StringSeed": seed.encode("ascii"), "QRCodePNG": totp.qr_png(uri)}
    if new_tags:
        device["Tags"] = new_tags
    return device


def enable_device(tx: Connection, call: Call, user_name: str, serial: str, code1: str, code2: str) -> None:
    """Assign the device to the user, once two consecutive codes prove the user holds its seed."""
    user = users.find_user(tx, call.account_id, user_name)
    quotas.hold_user(tx, user)
    lock_row(tx, mfa_devices, serial, column="serial_number")  # one user wins a device enabled twice at once
    device = _find_device(tx, call.account_id, serial)
    if device.user_id is not None:
        raise EntityAlreadyExists(IN_USE)
    quotas.check(tx, quotas.MFA_DEVICES, mfa_devices, mfa_devices.c.user_id == user.id)
    step = totp.match_pair(_seed(call, device), code1, code2, call.now, after=device.last_time_step)
    if step is None:
        raise InvalidAuthenticationCode(INVALID_CODE)
    if not _take_step(tx, serial, step, user_id=user.id, enabled_at=call.now):
        raise InvalidAuthenticationCode(INVALID_CODE)


def verify_code(tx: Connection, call: Call, serial: str, code: str) -> bool:
    """Whether ``code`` is a fresh code of ``serial``, a device enabled for the calling IAM user.

    Records the code's time step, so the same code (or an older one) never passes again.
    """
    if call.principal.kind is not PrincipalKind.USER or not isinstance(code, str):
        return False
    user_id = call.principal.user_id or call.principal.id
    device = tx.execute(select(mfa_devices).where(
        mfa_devices.c.serial_number == serial, mfa_devices.c.account_id == call.account_id,
        mfa_devices.c.user_id == user_id)).first()
    if device is None:
        return False
    step = totp.match_step(_seed(call, device), code, call.now, after=device.last_time_step)
    return step is not None and _take_step(tx, serial, step)


def enabled_serial(tx: Connection, account_id: str, user_id: str | None) -> str | None:
    """The serial number of the user's first enabled device (None: none; the root user has none here)."""
    if user_id is None:
        return None
    return tx.scalar(select(mfa_devices.c.serial_number).where(
        mfa_devices.c.account_id == account_id, mfa_devices.c.user_id == user_id)
        .order_by(mfa_devices.c.enabled_at, mfa_devices.c.serial_number).limit(1))


# --- handlers ------------------------------------------------------------------------------------------

def create_virtual_mfa_device(tx: Connection, call: Call, params: dict) -> dict:
    device = create_virtual_device(tx, call, params["VirtualMFADeviceName"], params.get("Path", "/"),
                                   params.get("Tags"))
    return {"VirtualMFADevice": device}


def enable_mfa_device(tx: Connection, call: Call, params: dict) -> None:
    enable_device(tx, call, params["UserName"], params["SerialNumber"],
                  params["AuthenticationCode1"], params["AuthenticationCode2"])


def resync_mfa_device(tx: Connection, call: Call, params: dict) -> None:
    user = users.target_user(tx, call, params["UserName"])
    serial = params["SerialNumber"]
    device = _find_device(tx, call.account_id, serial)
    if device.user_id != user.id:
        raise NoSuchEntity(INVALID_FOR_USER)
    step = totp.match_pair(_seed(call, device), params["AuthenticationCode1"], params["AuthenticationCode2"],
                           call.now, after=device.last_time_step, window=RESYNC_WINDOW)
    if step is None or not _take_step(tx, serial, step):
        raise InvalidAuthenticationCode(INVALID_CODE)


def deactivate_mfa_device(tx: Connection, call: Call, params: dict) -> None:
    user = users.named_or_caller(tx, call, params.get("UserName"))
    serial = params["SerialNumber"]
    device = _find_device(tx, call.account_id, serial)
    if device.user_id != user.id:
        raise NoSuchEntity(INVALID_FOR_USER)
    tx.execute(update(mfa_devices).where(mfa_devices.c.serial_number == serial)
               .values(user_id=None, enabled_at=None))


def delete_virtual_mfa_device(tx: Connection, call: Call, params: dict) -> None:
    device = target_device(tx, call, params["SerialNumber"])
    if device.user_id is not None:
        raise DeleteConflict(DELETE_IN_USE)
    tagging.drop_all(tx, device.id)
    tx.execute(delete(mfa_devices).where(mfa_devices.c.serial_number == device.serial_number))


def list_mfa_devices(tx: Connection, call: Call, params: dict) -> dict:
    user = users.named_or_caller(tx, call, params.get("UserName"), root_itself=True)
    if user is None:
        return {"MFADevices": [], "IsTruncated": False}  # the root user's own devices are not kept here
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    query = select(mfa_devices.c.serial_number, mfa_devices.c.enabled_at).where(mfa_devices.c.user_id == user.id)
    after = decode_marker(params.get("Marker"))
    if after is not None:
        query = query.where(mfa_devices.c.serial_number > after)
    rows = tx.execute(query.order_by(mfa_devices.c.serial_number).limit(max_items + 1)).all()
    rows, paging = page(rows, max_items, lambda row: row.serial_number)
    return {"MFADevices": [
        {"UserName": user.name, "SerialNumber": row.serial_number, "EnableDate": row.enabled_at} for row in rows
    ], **paging}


def list_virtual_mfa_devices(tx: Connection, call: Call, params: dict) -> dict:
    max_items = params.get("MaxItems", DEFAULT_MAX_ITEMS)
    after = decode_marker(params.get("Marker"))
    query = (select(mfa_devices.c.serial_number, mfa_devices.c.enabled_at, mfa_devices.c.user_id)
             .where(mfa_devices.c.account_id == call.account_id))
    status = params.get("AssignmentStatus", "Any")
    if status == "Assigned":
        query = query.where(mfa_devices.c.user_id.is_not(None))
    elif status == "Unassigned":
        query = query.where(mfa_devices.c.user_id.is_(None))
    if after is not None:
        query = query.where(mfa_devices.c.serial_number > after)
    rows = tx.execute(query.order_by(mfa_devices.c.serial_number).limit(max_items + 1)).all()
    rows, paging = page(rows, max_items, lambda row: row.serial_number)
    assigned = {row.user_id for row in rows if row.user_id is not None}
    owners = {user.id: user for user in tx.execute(select(users_table).where(users_table.c.id.in_(assigned)))}
    devices = []
    for row in rows:
        device: dict = {"SerialNumber": row.serial_number}
        if row.user_id in owners:
            device["User"] = users.describe(owners[row.user_id])
            device["EnableDate"] = row.enabled_at
        devices.append(device)
    return {"VirtualMFADevices": devices, **paging}


def get_mfa_device(tx: Connection, call: Call, params: dict) -> dict:
    user = users.named_or_caller(tx, call, params.get("UserName"))
    serial = params["SerialNumber"]
    device = tx.execute(select(mfa_devices).where(
        mfa_devices.c.serial_number == serial, mfa_devices.c.account_id == call.account_id,
        mfa_devices.c.user_id == user.id)).first()
    if device is None:
        raise not_found(serial)
    return {"UserName": user.name, "SerialNumber": serial, "EnableDate": device.enabled_at}


# --- what each operation acts on, for authorization ----------------------------------------------------

def device_arn(call: Call, params: dict) -> str | targets.Target:
    """The device's ARN: its serial number, or the one CreateVirtualMFADevice is about to make; with the
    caller's own device's row, for its tags and the handler (target_device)."""
    if "SerialNumber" in params:
        serial = params["SerialNumber"]
    else:
        serial = serial_number(call.account_id, params.get("Path", "/"), params["VirtualMFADeviceName"])
    if call.tx is None:
        return serial
    row = call.tx.execute(select(mfa_devices).where(mfa_devices.c.serial_number == serial,
                                                    mfa_devices.c.account_id == call.account_id)).first()
    return targets.found(call, "mfa", serial, row, serial)


def target_device(tx: Connection, call: Call, serial: str):
    """``_find_device``, taking the row authorization found for this request when it is this device's."""
    return targets.reuse(call, "mfa", serial) or _find_device(tx, call.account_id, serial)


def user_arn(call: Call, params: dict) -> str | targets.Target:
    """The named user, or the caller itself (users.resource_arn)."""
    return users.resource_arn(call, params)


_TAGS = tagging.TagHandlers(lambda tx, call, params: target_device(tx, call, params["SerialNumber"]))


OPERATIONS = (
    iam("CreateVirtualMFADevice", create_virtual_mfa_device, device_arn, changes_access=False),
    iam("EnableMFADevice", enable_mfa_device, user_arn),
    iam("ResyncMFADevice", resync_mfa_device, user_arn, changes_access=False),
    iam("DeactivateMFADevice", deactivate_mfa_device, user_arn),
    iam("DeleteVirtualMFADevice", delete_virtual_mfa_device, device_arn, changes_access=False),
    iam("ListMFADevices", list_mfa_devices, user_arn, writes=False),
    iam("ListVirtualMFADevices", list_virtual_mfa_devices, any_resource, writes=False),
    iam("GetMFADevice", get_mfa_device, user_arn, writes=False),
    iam("TagMFADevice", _TAGS.tag, device_arn, changes_access=False),
    iam("UntagMFADevice", _TAGS.untag, device_arn, changes_access=False),
    iam("ListMFADeviceTags", _TAGS.list, device_arn, writes=False),
)
