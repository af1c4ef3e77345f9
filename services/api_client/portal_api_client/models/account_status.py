from enum import StrEnum

class AccountStatus(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"
    DISABLED = "disabled"
    PENDING_ACTIVATION = "pending_activation"

    def __str__(self) -> str:
        return str(self.value)
