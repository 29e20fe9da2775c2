/**
 * Every operation the example client sends, exactly as it sends it. No DOM and no
 * `import.meta` here: `npm run codegen` imports this module under Node, checks each exported
 * string against the schema and writes its sha-256 into schema/trusted-documents.json, the
 * manifest of the documents a server with TRUSTED_DOCUMENTS=only answers. So every export of
 * this module is an operation (a string the client sends), and nothing else is.
 */

const PERSON = "id name headline";
const INVITATION = `id status message sentAt respondedAt responseMessage sender { ${PERSON} } recipient { ${PERSON} }`;
const NOTIFICATION = `id kind message createdAt cursor actor { ${PERSON} } invitation { ${INVITATION} }`;

/** Page sizes: enough for an example, within the server's query cost limit. */
const LIST_SIZE = 50;
const NOTIFICATIONS_SIZE = 20;

export const LOG_IN = `
  mutation LogIn($email: String!, $password: String!) {
    logIn(email: $email, password: $password) { token member { ${PERSON} } }
  }`;

/** The link of a sign-up mail lands on `/app/#verify-email=<token>`. */
export const VERIFY_EMAIL = `
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token) { token member { ${PERSON} } }
  }`;

/** Everything the page shows, in one request. */
export const HOME = `
  query Home {
    viewer { ${PERSON} }
    receivedInvitations(first: ${LIST_SIZE}) { edges { node { ${INVITATION} } } }
    sentInvitations(first: ${LIST_SIZE}) { edges { node { ${INVITATION} } } }
    notifications(first: ${NOTIFICATIONS_SIZE}) { edges { node { ${NOTIFICATION} } } }
  }`;

export const NOTIFICATIONS = `
  query Notifications {
    notifications(first: ${NOTIFICATIONS_SIZE}) { edges { node { ${NOTIFICATION} } } }
  }`;

export const ACCEPT = `
  mutation Accept($id: ID!, $message: String) { acceptInvitation(id: $id, message: $message) { id } }`;
export const IGNORE = `mutation Ignore($id: ID!) { ignoreInvitation(id: $id) { id } }`;
export const DECLINE = `
  mutation Decline($id: ID!, $message: String) { declineInvitation(id: $id, message: $message) { id } }`;

/** With `after`: the stored notifications after that cursor first, then live ones. */
export const NOTIFICATION_ADDED = `
  subscription NotificationAdded($after: String) {
    notificationAdded(after: $after) { ${NOTIFICATION} }
  }`;

export const SIGN_UP = `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { status token member { ${PERSON} } }
  }`;

export const SEARCH = `
  query Search($search: String!) {
    members(search: $search, first: 10) {
      edges { node { ${PERSON} degree mutualConnectionsCount } }
    }
  }`;

export const SEND = `
  mutation Send($input: SendInvitationInput!) {
    sendInvitation(input: $input) { connected invitation { ${INVITATION} } }
  }`;

export const RECEIVED = `
  query Received($filter: ReceivedInvitationsFilter!, $orderBy: InvitationOrder) {
    receivedInvitations(filter: $filter, orderBy: $orderBy, first: ${LIST_SIZE}) {
      edges { node { ${INVITATION} } }
    }
  }`;

export const SETTINGS = `
  query Settings {
    invitationSettings {
      whoCanInvite notifyOnInvitation reminders pausedUntil
      policy { newAccounts noMutualConnections restrictedSenders outsideNetwork }
    }
    notificationPreferences { kind email }
  }`;

export const SAVE_SETTINGS = `
  mutation SaveSettings(
    $settings: InvitationSettingsInput!
    $preferences: [NotificationPreferenceInput!]!
  ) {
    updateInvitationSettings(input: $settings) { whoCanInvite }
    updateNotificationPreferences(input: $preferences) { kind email }
  }`;

export const REPORT = `mutation Report($id: ID!) { reportInvitation(id: $id, reason: SPAM) }`;
export const BLOCK = `mutation Block($id: ID!) { blockMember(id: $id) }`;
export const UNBLOCK = `mutation Unblock($id: ID!) { unblockMember(id: $id) }`;
export const BLOCKED = `query Blocked { blockedMembers { ${PERSON} } }`;
