from enum import StrEnum

class MyAccountStatus(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"
    DISABLED = "disabled"
    PENDING_ACTIVATION = "pending_activation"

    def __str__(self) -> str:
        return str(self.value)
