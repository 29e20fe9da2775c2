/**
 * The operations both explorers open with (Apollo Sandbox at GET /graphql, GraphiQL at
 * /graphiql): the main tour of the API, ready to run one by one (pick one with the Run
 * button's menu). Checked against the schema and run against a real server by
 * test/sandbox.test.ts. No `<`, `>`, `&` or `'` anywhere: Apollo escapes only the first of
 * each when it writes this into the page's script.
 */
export const STARTER_DOCUMENT = `# Invitations API: the main operations. Run SignUp (or LogIn) first.
#
# AUTHORIZATION: every operation except SignUp, LogIn and Viewer acts as a member.
# Copy the token from the answer of SignUp or LogIn, then in the Headers tab below set
# the value of the header "authorization" to:   Bearer TOKEN
# (the word Bearer, a space, then the token). Leave it empty for SignUp and LogIn: a
# header with a bad or expired token is refused with UNAUTHENTICATED, on any operation.
# Subscriptions (graphql-ws, same URL) read the same header: both explorers send the
# authorization header of the tab in the connectionParams of the WebSocket. Without a
# valid token it closes (4403).
#
# Two members: sign up twice (change the email in Variables), each in its own tab with
# its own token. Ids in Variables (PASTE-...) come from earlier answers.

mutation SignUp($signUp: SignUpInput!) {
  signUp(input: $signUp) {
    token
    member {
      id
      name
    }
  }
}

mutation LogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) {
    token
    member {
      id
      name
    }
  }
}

# Whose token this tab is using (null without one).
query Viewer {
  viewer {
    id
    name
    headline
    email
  }
}

mutation SendInvitation($invitation: SendInvitationInput!) {
  sendInvitation(input: $invitation) {
    connected
    invitation {
      id
      status
      message
      sentAt
    }
  }
}

# Your inbox. Set "filter": { "status": "IGNORED" } in Variables for the ones you ignored.
query ReceivedInvitations($filter: ReceivedInvitationsFilter) {
  receivedInvitations(filter: $filter) {
    totalCount
    edges {
      node {
        id
        status
        message
        sentAt
        sender {
          id
          name
          headline
          mutualConnectionsCount
        }
      }
    }
  }
}

mutation AcceptInvitation($id: ID!, $message: String) {
  acceptInvitation(id: $id, message: $message) {
    id
    status
    respondedAt
  }
}

# Silent: the sender keeps seeing it PENDING, and no subscription of theirs fires.
mutation IgnoreInvitation($id: ID!) {
  ignoreInvitation(id: $id) {
    id
    status
  }
}

# The sender is told at once, with your message.
mutation DeclineInvitation($id: ID!, $message: String) {
  declineInvitation(id: $id, message: $message) {
    id
    status
    respondedAt
    responseMessage
  }
}

query SentInvitations {
  sentInvitations {
    totalCount
    edges {
      node {
        id
        status
        respondedAt
        responseMessage
        recipient {
          name
        }
      }
    }
  }
}

query Notifications {
  notifications {
    totalCount
    edges {
      node {
        kind
        message
        read
        createdAt
        actor {
          name
        }
      }
    }
  }
}

# Live, in a tab of its own with the same authorization header. With "after" (a cursor
# from a notification) it first replays what you missed.
subscription OnNotificationAdded {
  notificationAdded {
    kind
    message
    cursor
    actor {
      name
    }
  }
}

subscription OnInvitationReceived {
  invitationReceived {
    id
    message
    sender {
      name
    }
  }
}

subscription OnInvitationDeclined {
  invitationDeclined {
    message
    declinedAt
    invitation {
      id
      status
      responseMessage
    }
  }
}
`;

/** The Variables panel's starting values, one set for all the operations above. */
export const STARTER_VARIABLES = {
  signUp: {
    name: "Ada Lovelace",
    email: "ada@example.com",
    password: "analytical-1",
    headline: "Analyst of engines",
  },
  email: "ada@example.com",
  password: "analytical-1",
  invitation: { recipientId: "PASTE-A-MEMBER-ID", message: "Your engine deserves a program." },
  id: "PASTE-AN-INVITATION-ID",
  message: "Thank you, but I work alone for now.",
  filter: { status: "PENDING" },
};
