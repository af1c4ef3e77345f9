from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.register_device_body_kind import RegisterDeviceBodyKind
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.register_device_body_subscription import RegisterDeviceBodySubscription





T = TypeVar("T", bound="RegisterDeviceBody")



@_attrs_define
class RegisterDeviceBody:
    """ 
        Attributes:
            kind (RegisterDeviceBodyKind):
            target (str | Unset): ntfy : le sujet ; gotify : le jeton d'application ; fcm : le jeton d'enregistrement FCM
            subscription (RegisterDeviceBodySubscription | Unset):
            label (str | Unset): Nom du support, affiché à la famille
     """

    kind: RegisterDeviceBodyKind
    target: str | Unset = UNSET
    subscription: RegisterDeviceBodySubscription | Unset = UNSET
    label: str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.register_device_body_subscription import RegisterDeviceBodySubscription # noqa: PLC0415
        kind = self.kind.value

        target = self.target

        subscription: dict[str, Any] | Unset = UNSET
        if not isinstance(self.subscription, Unset):
            subscription = self.subscription.to_dict()

        label = self.label


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "kind": kind,
        })
        if target is not UNSET:
            field_dict["target"] = target
        if subscription is not UNSET:
            field_dict["subscription"] = subscription
        if label is not UNSET:
            field_dict["label"] = label

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.register_device_body_subscription import RegisterDeviceBodySubscription # noqa: PLC0415
        d = dict(src_dict)
        kind = RegisterDeviceBodyKind(d.pop("kind"))




        target = d.pop("target", UNSET)

        _subscription = d.pop("subscription", UNSET)
        subscription: RegisterDeviceBodySubscription | Unset
        if isinstance(_subscription,  Unset):
            subscription = UNSET
        else:
            subscription = RegisterDeviceBodySubscription.from_dict(_subscription)




        label = d.pop("label", UNSET)

        register_device_body = cls(
            kind=kind,
            target=target,
            subscription=subscription,
            label=label,
        )

        return register_device_body

