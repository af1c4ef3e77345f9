from enum import StrEnum

class SearchFamilyAccountsStatus(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"
    PENDING_ACTIVATION = "pending_activation"

    def __str__(self) -> str:
        return str(self.value)
