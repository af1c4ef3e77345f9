""" Contains all the data models used in inputs/outputs """

from .accepted import Accepted
from .account import Account
from .account_page import AccountPage
from .account_role import AccountRole
from .account_status import AccountStatus
from .activate_body import ActivateBody
from .activity_entry import ActivityEntry
from .activity_entry_details import ActivityEntryDetails
from .activity_entry_type import ActivityEntryType
from .activity_page import ActivityPage
from .change_contact_email_body import ChangeContactEmailBody
from .change_password_body import ChangePasswordBody
from .contact_email_change import ContactEmailChange
from .contact_email_confirm_body import ContactEmailConfirmBody
from .contact_email_undo_body import ContactEmailUndoBody
from .create_agent_account_body import CreateAgentAccountBody
from .create_family_account_body import CreateFamilyAccountBody
from .delete_my_account_body import DeleteMyAccountBody
from .deleted_account import DeletedAccount
from .document import Document
from .document_content_type import DocumentContentType
from .document_direction import DocumentDirection
from .document_page import DocumentPage
from .dossier_preferences import DossierPreferences
from .ended_sessions import EndedSessions
from .family_activity_type_item import FamilyActivityTypeItem
from .generate_body import GenerateBody
from .invoice import Invoice
from .invoice_lines_item import InvoiceLinesItem
from .invoice_payment_status import InvoicePaymentStatus
from .invoices import Invoices
from .invoices_preferences import InvoicesPreferences
from .jwks import Jwks
from .jwks_keys_item import JwksKeysItem
from .link_sent import LinkSent
from .login_body import LoginBody
from .my_account import MyAccount
from .my_account_role import MyAccountRole
from .my_account_status import MyAccountStatus
from .my_activity_type_item import MyActivityTypeItem
from .notification import Notification
from .notification_page import NotificationPage
from .notification_preferences import NotificationPreferences
from .notification_target import NotificationTarget
from .notification_target_kind import NotificationTargetKind
from .password_reset_body import PasswordResetBody
from .password_reset_confirm_body import PasswordResetConfirmBody
from .patch_preferences_body import PatchPreferencesBody
from .patch_preferences_body_dossier import PatchPreferencesBodyDossier
from .patch_preferences_body_invoices import PatchPreferencesBodyInvoices
from .pending_contact_email import PendingContactEmail
from .problem import Problem
from .push_device import PushDevice
from .push_device_kind import PushDeviceKind
from .push_devices import PushDevices
from .refresh_body import RefreshBody
from .register_device_body import RegisterDeviceBody
from .register_device_body_kind import RegisterDeviceBodyKind
from .register_device_body_subscription import RegisterDeviceBodySubscription
from .register_device_body_subscription_keys import RegisterDeviceBodySubscriptionKeys
from .search_family_accounts_status import SearchFamilyAccountsStatus
from .send_to_family_body import SendToFamilyBody
from .send_to_structure_body import SendToStructureBody
from .session import Session
from .sessions import Sessions
from .statement import Statement
from .statement_children_item import StatementChildrenItem
from .statement_invoices_item import StatementInvoicesItem
from .statement_structure import StatementStructure
from .statement_summary import StatementSummary
from .statement_tax_item import StatementTaxItem
from .statement_totals import StatementTotals
from .statements import Statements
from .structure import Structure
from .tokens import Tokens
from .unsubscribed import Unsubscribed
from .web_push_key import WebPushKey

__all__ = (
    "Accepted",
    "Account",
    "AccountPage",
    "AccountRole",
    "AccountStatus",
    "ActivateBody",
    "ActivityEntry",
    "ActivityEntryDetails",
    "ActivityEntryType",
    "ActivityPage",
    "ChangeContactEmailBody",
    "ChangePasswordBody",
    "ContactEmailChange",
    "ContactEmailConfirmBody",
    "ContactEmailUndoBody",
    "CreateAgentAccountBody",
    "CreateFamilyAccountBody",
    "DeletedAccount",
    "DeleteMyAccountBody",
    "Document",
    "DocumentContentType",
    "DocumentDirection",
    "DocumentPage",
    "DossierPreferences",
    "EndedSessions",
    "FamilyActivityTypeItem",
    "GenerateBody",
    "Invoice",
    "InvoiceLinesItem",
    "InvoicePaymentStatus",
    "Invoices",
    "InvoicesPreferences",
    "Jwks",
    "JwksKeysItem",
    "LinkSent",
    "LoginBody",
    "MyAccount",
    "MyAccountRole",
    "MyAccountStatus",
    "MyActivityTypeItem",
    "Notification",
    "NotificationPage",
    "NotificationPreferences",
    "NotificationTarget",
    "NotificationTargetKind",
    "PasswordResetBody",
    "PasswordResetConfirmBody",
    "PatchPreferencesBody",
    "PatchPreferencesBodyDossier",
    "PatchPreferencesBodyInvoices",
    "PendingContactEmail",
    "Problem",
    "PushDevice",
    "PushDeviceKind",
    "PushDevices",
    "RefreshBody",
    "RegisterDeviceBody",
    "RegisterDeviceBodyKind",
    "RegisterDeviceBodySubscription",
    "RegisterDeviceBodySubscriptionKeys",
    "SearchFamilyAccountsStatus",
    "SendToFamilyBody",
    "SendToStructureBody",
    "Session",
    "Sessions",
    "Statement",
    "StatementChildrenItem",
    "StatementInvoicesItem",
    "Statements",
    "StatementStructure",
    "StatementSummary",
    "StatementTaxItem",
    "StatementTotals",
    "Structure",
    "Tokens",
    "Unsubscribed",
    "WebPushKey",
)
