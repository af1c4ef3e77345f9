from enum import StrEnum

class RegisterDeviceBodyKind(StrEnum):
    FCM = "fcm"
    GOTIFY = "gotify"
    NTFY = "ntfy"
    WEBPUSH = "webpush"

    def __str__(self) -> str:
        return str(self.value)
