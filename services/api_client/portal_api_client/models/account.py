from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.account_role import AccountRole
from ..models.account_status import AccountStatus
from typing import cast
import datetime






T = TypeVar("T", bound="Account")



@_attrs_define
class Account:
    """ 
        Attributes:
            account_id (str):
            login (str): Identifiant de connexion, jamais modifiable
            login_modifiable (bool):
            contact_email (None | str):
            display_name (None | str):
            role (AccountRole):
            structure_id (str):
            status (AccountStatus):
            created_at (datetime.datetime):
            last_login_at (datetime.datetime | None):
            restorable_until (datetime.datetime | None):
     """

    account_id: str
    login: str
    login_modifiable: bool
    contact_email: None | str
    display_name: None | str
    role: AccountRole
    structure_id: str
    status: AccountStatus
    created_at: datetime.datetime
    last_login_at: datetime.datetime | None
    restorable_until: datetime.datetime | None





    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        login = self.login

        login_modifiable = self.login_modifiable

        contact_email: None | str
        contact_email = self.contact_email

        display_name: None | str
        display_name = self.display_name

        role = self.role.value

        structure_id = self.structure_id

        status = self.status.value

        created_at = self.created_at.isoformat()

        last_login_at: None | str
        if isinstance(self.last_login_at, datetime.datetime):
            last_login_at = self.last_login_at.isoformat()
        else:
            last_login_at = self.last_login_at

        restorable_until: None | str
        if isinstance(self.restorable_until, datetime.datetime):
            restorable_until = self.restorable_until.isoformat()
        else:
            restorable_until = self.restorable_until


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "account_id": account_id,
            "login": login,
            "login_modifiable": login_modifiable,
            "contact_email": contact_email,
            "display_name": display_name,
            "role": role,
            "structure_id": structure_id,
            "status": status,
            "created_at": created_at,
            "last_login_at": last_login_at,
            "restorable_until": restorable_until,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        account_id = d.pop("account_id")

        login = d.pop("login")

        login_modifiable = d.pop("login_modifiable")

        def _parse_contact_email(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        contact_email = _parse_contact_email(d.pop("contact_email"))


        def _parse_display_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        display_name = _parse_display_name(d.pop("display_name"))


        role = AccountRole(d.pop("role"))




        structure_id = d.pop("structure_id")

        status = AccountStatus(d.pop("status"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        def _parse_last_login_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_login_at_type_0 = datetime.datetime.fromisoformat(data)



                return last_login_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_login_at = _parse_last_login_at(d.pop("last_login_at"))


        def _parse_restorable_until(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                restorable_until_type_0 = datetime.datetime.fromisoformat(data)



                return restorable_until_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        restorable_until = _parse_restorable_until(d.pop("restorable_until"))


        account = cls(
            account_id=account_id,
            login=login,
            login_modifiable=login_modifiable,
            contact_email=contact_email,
            display_name=display_name,
            role=role,
            structure_id=structure_id,
            status=status,
            created_at=created_at,
            last_login_at=last_login_at,
            restorable_until=restorable_until,
        )

        return account

