/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** How far a member is from the viewer in the network. */
export type ConnectionDegree =
  /** Connected to the viewer. */
  | 'FIRST'
  /** Not connected, but shares at least one connection with the viewer. */
  | 'SECOND'
  /** The viewer themself. */
  | 'SELF'
  /** Further away, or unknown. */
  | 'THIRD_PLUS';

/** Policy actions to change; omitted categories stay as they are. */
export type InvitationPolicyInput = {
  /** New accounts. */
  newAccounts?: PolicyAction | null | undefined;
  /** No mutual connections. */
  noMutualConnections?: PolicyAction | null | undefined;
  /** Outside your network. */
  outsideNetwork?: PolicyAction | null | undefined;
  /** Restricted senders. */
  restrictedSenders?: PolicyAction | null | undefined;
};

/** Settings to change; omitted fields stay as they are. */
export type InvitationSettingsInput = {
  /** Notify on a new invitation. */
  notifyOnInvitation?: boolean | null | undefined;
  /** Pause until then (in the future, at most 365 days ahead); null ends a pause; omitted leaves it. */
  pausedUntil?: string | null | undefined;
  /** Policy actions to change. */
  policy?: InvitationPolicyInput | null | undefined;
  /** Send reminders for waiting invitations. */
  reminders?: boolean | null | undefined;
  /** Who may invite you. */
  whoCanInvite?: WhoCanInvite | null | undefined;
};

/** An invitation's status as the viewer may see it. A sender never sees IGNORED: to them an ignored invitation is PENDING. */
export type InvitationStatus =
  /** Accepted: the two members are connected. */
  | 'ACCEPTED'
  /** Declined by the recipient, possibly with a message. */
  | 'DECLINED'
  /** Expired unanswered. */
  | 'EXPIRED'
  /** Set aside by the recipient; shown to the recipient only. */
  | 'IGNORED'
  /** Waiting for an answer (or looks so to the sender). */
  | 'PENDING'
  /** Withdrawn by the sender. */
  | 'WITHDRAWN';

/** What a notification is about. */
export type NotificationKind =
  /** Your invitation was accepted (message: the greeting). */
  | 'INVITATION_ACCEPTED'
  /** Your invitation was declined (message: theirs, if any). */
  | 'INVITATION_DECLINED'
  /** Someone invited you. */
  | 'INVITATION_RECEIVED'
  /** An invitation is waiting for your answer. */
  | 'INVITATION_REMINDER';

/** What happens to an invitation of one category. When several categories apply, the strictest action wins (DISCARD, then FILTER, then DELIVER). The sender sees PENDING in every case. */
export type PolicyAction =
  /** To your inbox, with its notification (unless another rule sets it aside). */
  | 'DELIVER'
  /** Stored where you never see it (in no list or count); it expires as usual. A crossing invitation from you still connects you. */
  | 'DISCARD'
  /** Silently to your FILTERED list: no notification, no push. */
  | 'FILTER';

/** Which received invitations to list. */
export type ReceivedInvitationsFilter = {
  /** Only senders with every one of these relations to you. */
  relations?: Array<Relation> | null | undefined;
  /** Part of the sender's name, any case (up to 100 characters). */
  search?: string | null | undefined;
  /** PENDING (default), IGNORED (the archive) or FILTERED (set aside). */
  status?: ReceivedStatus | null | undefined;
};

/** Which of the recipient's lists to read. */
export type ReceivedStatus =
  /** Set aside silently: by your whoCanInvite setting (no shared connection, or a wrong email), your invitation policy (FILTER) or pause, because you reported the sender, or because the sender is restricted after reports. */
  | 'FILTERED'
  /** Ignored or reported: the recipient's archive; still answerable. */
  | 'IGNORED'
  /** Waiting for an answer (the default). */
  | 'PENDING';

/** A relation between the sender and the viewer. */
export type Relation =
  /** The sender shares at least one connection with you. */
  | 'MUTUAL_CONNECTIONS'
  /** The sender has your employer. */
  | 'SAME_EMPLOYER'
  /** The sender works in your industry. */
  | 'SAME_INDUSTRY'
  /** The sender went to your school. */
  | 'SAME_SCHOOL';

/** An invitation to send. */
export type SendInvitationInput = {
  /** A personal note, up to 300 characters (configurable). */
  message?: string | null | undefined;
  /** The recipient's email address, for members who only accept invitations that give it. A wrong one is not an error. */
  recipientEmail?: string | null | undefined;
  /** Who to invite. */
  recipientId: string | number;
};

/** What a new member gives to join. */
export type SignUpInput = {
  /** Email address; also the login. Case does not matter. */
  email: string;
  /** Current employer. */
  employer?: string | null | undefined;
  /** One line about your work. */
  headline?: string | null | undefined;
  /** Industry you work in. */
  industry?: string | null | undefined;
  /** Full name, 1 to 100 characters. */
  name: string;
  /** At least 8 characters. */
  password: string;
  /** School you attended. */
  school?: string | null | undefined;
};

/** What a sign-up did. */
export type SignUpStatus =
  /** The member exists and is logged in (`token` and `member` are set). */
  | 'ACTIVE'
  /** A mail went to the address: its link (`verifyEmail`) creates the member. The same answer whether or not the address is registered. */
  | 'VERIFY_EMAIL';

/** Why a member is suggested to the viewer. */
export type SuggestionReason =
  /** Has the viewer's employer (compared case-insensitively). */
  | 'SAME_EMPLOYER'
  /** Works in the viewer's industry (compared case-insensitively). */
  | 'SAME_INDUSTRY'
  /** Went to the viewer's school (compared case-insensitively). */
  | 'SAME_SCHOOL'
  /** Shares at least one connection with the viewer. */
  | 'SHARED_CONNECTIONS';

/** Who may send you an invitation that reaches your inbox. */
export type WhoCanInvite =
  /** Only senders who give your email address. A missing email is EMAIL_REQUIRED; a wrong one lands silently in your FILTERED list. */
  | 'EMAIL_REQUIRED'
  /** Anyone (the default). */
  | 'EVERYONE'
  /** Only members who share a connection with you; others land silently in your FILTERED list. */
  | 'SECOND_DEGREE';

export type AccountExportQueryVariables = Exact<{ [key: string]: never; }>;


export type AccountExportQuery = { accountExport: Record<string, unknown> };

export type DeleteAccountMutationVariables = Exact<{
  password: string;
}>;


export type DeleteAccountMutation = { deleteAccount: boolean };

export type InboxFromMyEmployerQueryVariables = Exact<{ [key: string]: never; }>;


export type InboxFromMyEmployerQuery = { receivedInvitations: { totalCount: number, edges: Array<{ node: { id: string, message: string | null, sentAt: string, sender: { id: string, name: string, headline: string | null, employer: string | null, degree: ConnectionDegree, mutualConnectionsCount: number } } }> } };

export type PeopleYouMayKnowQueryVariables = Exact<{ [key: string]: never; }>;


export type PeopleYouMayKnowQuery = { suggestedMembers: Array<{ reasons: Array<SuggestionReason>, sharedConnectionsCount: number, member: { id: string, name: string, headline: string | null, employer: string | null, school: string | null, industry: string | null, degree: ConnectionDegree } }> };

export type FindPeopleQueryVariables = Exact<{ [key: string]: never; }>;


export type FindPeopleQuery = { members: { totalCount: number, edges: Array<{ node: { id: string, name: string, headline: string | null, degree: ConnectionDegree, mutualConnectionsCount: number } }> } };

export type InviteWithEmailMutationVariables = Exact<{
  recipientId: string | number;
  recipientEmail?: string | null | undefined;
  message?: string | null | undefined;
}>;


export type InviteWithEmailMutation = { sendInvitation: { connected: boolean, invitation: { id: string, status: InvitationStatus, recipient: { name: string } } } };

export type FilteredInvitationsQueryVariables = Exact<{ [key: string]: never; }>;


export type FilteredInvitationsQuery = { receivedInvitations: { totalCount: number, edges: Array<{ node: { id: string, status: InvitationStatus, message: string | null, sentAt: string, sender: { name: string, headline: string | null } } }> } };

export type MyInvitationSettingsQueryVariables = Exact<{ [key: string]: never; }>;


export type MyInvitationSettingsQuery = { invitationSettings: { whoCanInvite: WhoCanInvite, notifyOnInvitation: boolean, reminders: boolean } };

export type UpdateInvitationSettingsMutationVariables = Exact<{
  input: InvitationSettingsInput;
}>;


export type UpdateInvitationSettingsMutation = { updateInvitationSettings: { whoCanInvite: WhoCanInvite, notifyOnInvitation: boolean, reminders: boolean } };

export type IgnoreInvitationsMutationVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type IgnoreInvitationsMutation = { ignoreInvitations: { succeeded: Array<{ id: string, status: InvitationStatus }>, failed: Array<{ id: string, code: string, message: string }> } };

export type AcceptInvitationsMutationVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type AcceptInvitationsMutation = { acceptInvitations: { succeeded: Array<{ id: string, status: InvitationStatus, sender: { name: string } }>, failed: Array<{ id: string, code: string, message: string }> } };

export type SetInvitationReminderMutationVariables = Exact<{
  id: string | number;
  remindAt: string;
}>;


export type SetInvitationReminderMutation = { setInvitationReminder: { id: string, status: InvitationStatus } };

export type SignUpMutationVariables = Exact<{
  input: SignUpInput;
}>;


export type SignUpMutation = { signUp: { status: SignUpStatus, token: string | null, member: { id: string, name: string } | null } };

export type LogInMutationVariables = Exact<{
  email: string;
  password: string;
}>;


export type LogInMutation = { logIn: { token: string, member: { id: string, name: string } } };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { id: string, name: string, headline: string | null, email: string | null } | null };

export type SendInvitationMutationVariables = Exact<{
  input: SendInvitationInput;
}>;


export type SendInvitationMutation = { sendInvitation: { connected: boolean, invitation: { id: string, status: InvitationStatus, message: string | null, sentAt: string } } };

export type ReceivedInvitationsQueryVariables = Exact<{
  filter?: ReceivedInvitationsFilter | null | undefined;
}>;


export type ReceivedInvitationsQuery = { receivedInvitations: { totalCount: number, edges: Array<{ node: { id: string, status: InvitationStatus, message: string | null, sentAt: string, sender: { id: string, name: string, headline: string | null, mutualConnectionsCount: number } } }> } };

export type IgnoreInvitationMutationVariables = Exact<{
  id: string | number;
}>;


export type IgnoreInvitationMutation = { ignoreInvitation: { id: string, status: InvitationStatus } };

export type DeclineInvitationMutationVariables = Exact<{
  id: string | number;
  message?: string | null | undefined;
}>;


export type DeclineInvitationMutation = { declineInvitation: { id: string, status: InvitationStatus, respondedAt: string | null, responseMessage: string | null } };

export type SentInvitationsQueryVariables = Exact<{ [key: string]: never; }>;


export type SentInvitationsQuery = { sentInvitations: { totalCount: number, edges: Array<{ node: { id: string, status: InvitationStatus, respondedAt: string | null, responseMessage: string | null, recipient: { name: string } } }> } };

export type NotificationsQueryVariables = Exact<{ [key: string]: never; }>;


export type NotificationsQuery = { notifications: { totalCount: number, edges: Array<{ node: { kind: NotificationKind, message: string | null, read: boolean, createdAt: string, actor: { name: string } | null } }> } };

export type OnInvitationDeclinedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type OnInvitationDeclinedSubscription = { invitationDeclined: { message: string | null, declinedAt: string, invitation: { id: string, status: InvitationStatus, responseMessage: string | null } } };


export const AccountExportDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AccountExport"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accountExport"}}]}}]} as unknown as DocumentNode<AccountExportQuery, AccountExportQueryVariables>;
export const DeleteAccountDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteAccount"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"password"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteAccount"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"password"},"value":{"kind":"Variable","name":{"kind":"Name","value":"password"}}}]}]}}]} as unknown as DocumentNode<DeleteAccountMutation, DeleteAccountMutationVariables>;
export const InboxFromMyEmployerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"InboxFromMyEmployer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"receivedInvitations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"relations"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"SAME_EMPLOYER"}]}}]}},{"kind":"Argument","name":{"kind":"Name","value":"orderBy"},"value":{"kind":"EnumValue","value":"MOST_MUTUAL_CONNECTIONS"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"sentAt"}},{"kind":"Field","name":{"kind":"Name","value":"sender"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"headline"}},{"kind":"Field","name":{"kind":"Name","value":"employer"}},{"kind":"Field","name":{"kind":"Name","value":"degree"}},{"kind":"Field","name":{"kind":"Name","value":"mutualConnectionsCount"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<InboxFromMyEmployerQuery, InboxFromMyEmployerQueryVariables>;
export const PeopleYouMayKnowDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PeopleYouMayKnow"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"suggestedMembers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reasons"}},{"kind":"Field","name":{"kind":"Name","value":"sharedConnectionsCount"}},{"kind":"Field","name":{"kind":"Name","value":"member"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"headline"}},{"kind":"Field","name":{"kind":"Name","value":"employer"}},{"kind":"Field","name":{"kind":"Name","value":"school"}},{"kind":"Field","name":{"kind":"Name","value":"industry"}},{"kind":"Field","name":{"kind":"Name","value":"degree"}}]}}]}}]}}]} as unknown as DocumentNode<PeopleYouMayKnowQuery, PeopleYouMayKnowQueryVariables>;
export const FindPeopleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"FindPeople"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"members"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"search"},"value":{"kind":"StringValue","value":"northwind","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"headline"}},{"kind":"Field","name":{"kind":"Name","value":"degree"}},{"kind":"Field","name":{"kind":"Name","value":"mutualConnectionsCount"}}]}}]}}]}}]}}]} as unknown as DocumentNode<FindPeopleQuery, FindPeopleQueryVariables>;
export const InviteWithEmailDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"InviteWithEmail"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"recipientId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"recipientEmail"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"message"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sendInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"recipientId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"recipientId"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"recipientEmail"},"value":{"kind":"Variable","name":{"kind":"Name","value":"recipientEmail"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"message"},"value":{"kind":"Variable","name":{"kind":"Name","value":"message"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"connected"}},{"kind":"Field","name":{"kind":"Name","value":"invitation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"recipient"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]} as unknown as DocumentNode<InviteWithEmailMutation, InviteWithEmailMutationVariables>;
export const FilteredInvitationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"FilteredInvitations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"receivedInvitations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"status"},"value":{"kind":"EnumValue","value":"FILTERED"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"sentAt"}},{"kind":"Field","name":{"kind":"Name","value":"sender"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"headline"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<FilteredInvitationsQuery, FilteredInvitationsQueryVariables>;
export const MyInvitationSettingsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MyInvitationSettings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"invitationSettings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"whoCanInvite"}},{"kind":"Field","name":{"kind":"Name","value":"notifyOnInvitation"}},{"kind":"Field","name":{"kind":"Name","value":"reminders"}}]}}]}}]} as unknown as DocumentNode<MyInvitationSettingsQuery, MyInvitationSettingsQueryVariables>;
export const UpdateInvitationSettingsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateInvitationSettings"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"InvitationSettingsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateInvitationSettings"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"whoCanInvite"}},{"kind":"Field","name":{"kind":"Name","value":"notifyOnInvitation"}},{"kind":"Field","name":{"kind":"Name","value":"reminders"}}]}}]}}]} as unknown as DocumentNode<UpdateInvitationSettingsMutation, UpdateInvitationSettingsMutationVariables>;
export const IgnoreInvitationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"IgnoreInvitations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"ids"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ignoreInvitations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"ids"},"value":{"kind":"Variable","name":{"kind":"Name","value":"ids"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"succeeded"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"failed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<IgnoreInvitationsMutation, IgnoreInvitationsMutationVariables>;
export const AcceptInvitationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AcceptInvitations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"ids"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acceptInvitations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"ids"},"value":{"kind":"Variable","name":{"kind":"Name","value":"ids"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"succeeded"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"sender"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"failed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<AcceptInvitationsMutation, AcceptInvitationsMutationVariables>;
export const SetInvitationReminderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetInvitationReminder"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"remindAt"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTimeISO"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setInvitationReminder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"remindAt"},"value":{"kind":"Variable","name":{"kind":"Name","value":"remindAt"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<SetInvitationReminderMutation, SetInvitationReminderMutationVariables>;
export const SignUpDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SignUp"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SignUpInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"signUp"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"token"}},{"kind":"Field","name":{"kind":"Name","value":"member"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<SignUpMutation, SignUpMutationVariables>;
export const LogInDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"LogIn"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"email"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"password"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"logIn"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"email"},"value":{"kind":"Variable","name":{"kind":"Name","value":"email"}}},{"kind":"Argument","name":{"kind":"Name","value":"password"},"value":{"kind":"Variable","name":{"kind":"Name","value":"password"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"token"}},{"kind":"Field","name":{"kind":"Name","value":"member"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<LogInMutation, LogInMutationVariables>;
export const ViewerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"headline"}},{"kind":"Field","name":{"kind":"Name","value":"email"}}]}}]}}]} as unknown as DocumentNode<ViewerQuery, ViewerQueryVariables>;
export const SendInvitationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SendInvitation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SendInvitationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sendInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"connected"}},{"kind":"Field","name":{"kind":"Name","value":"invitation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"sentAt"}}]}}]}}]}}]} as unknown as DocumentNode<SendInvitationMutation, SendInvitationMutationVariables>;
export const ReceivedInvitationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ReceivedInvitations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ReceivedInvitationsFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"receivedInvitations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"sentAt"}},{"kind":"Field","name":{"kind":"Name","value":"sender"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"headline"}},{"kind":"Field","name":{"kind":"Name","value":"mutualConnectionsCount"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ReceivedInvitationsQuery, ReceivedInvitationsQueryVariables>;
export const IgnoreInvitationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"IgnoreInvitation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ignoreInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<IgnoreInvitationMutation, IgnoreInvitationMutationVariables>;
export const DeclineInvitationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeclineInvitation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"message"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"declineInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"message"},"value":{"kind":"Variable","name":{"kind":"Name","value":"message"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"respondedAt"}},{"kind":"Field","name":{"kind":"Name","value":"responseMessage"}}]}}]}}]} as unknown as DocumentNode<DeclineInvitationMutation, DeclineInvitationMutationVariables>;
export const SentInvitationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SentInvitations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sentInvitations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"respondedAt"}},{"kind":"Field","name":{"kind":"Name","value":"responseMessage"}},{"kind":"Field","name":{"kind":"Name","value":"recipient"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SentInvitationsQuery, SentInvitationsQueryVariables>;
export const NotificationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Notifications"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"notifications"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"read"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"actor"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<NotificationsQuery, NotificationsQueryVariables>;
export const OnInvitationDeclinedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OnInvitationDeclined"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"invitationDeclined"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"declinedAt"}},{"kind":"Field","name":{"kind":"Name","value":"invitation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"responseMessage"}}]}}]}}]}}]} as unknown as DocumentNode<OnInvitationDeclinedSubscription, OnInvitationDeclinedSubscriptionVariables>;