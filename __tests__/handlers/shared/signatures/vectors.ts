/**
 * Known-good signatures. GitHub's is the example from its documentation; the others were computed
 * independently of the code under test, with
 * `printf '%s' "<signed bytes>" | openssl dgst -sha256 -hmac "<secret>"` (and `-binary | openssl
 * base64 -A` for Shopify).
 */
export const GITHUB_DOCS_VECTOR = {
  secret: "It's a Secret to Everybody",
  body: 'Hello, World!',
  header: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
} as const;

export const STRIPE_VECTOR = {
  secret: 'whsec_test_secret',
  body: '{"id":"evt_1NG8Du2eZvKYlo2C","type":"payment_intent.succeeded"}',
  timestamp: 1_700_000_000,
  /** HMAC-SHA256 of `1700000000.<body>`. */
  v1: '5932459132e642325b006ac6f94f924b06d998b4f67e25fe2b3bea6889a0f5b0',
} as const;

export const SHOPIFY_VECTOR = {
  secret: 'shpss_test_secret',
  body: '{"id":820982911946154508,"topic":"orders/create"}',
  header: 'DyCZHwhBMborrvH9V041dO/poDNS0e8cUWwh3epcPkc=',
} as const;

export const GENERIC_VECTOR = {
  secret: 'generic-test-secret',
  body: '{"event":"ping","id":42}',
  header: 'sha256=68370591ecc9277f65f3a988e29be5431dffef5f1759d3cdbfc2d9471456f148',
} as const;

/**
 * The example of Slack's "Verifying requests from Slack" page
 * (https://api.slack.com/authentication/verifying-requests-from-slack): a slash command's
 * form-encoded body. `@slack/bolt`, which holds Slack's own verifier, is too heavy (Express, the
 * Web API client, …) to install for one vector, so the page's signature is the reference; the
 * openssl command above reproduces it.
 */
export const SLACK_DOCS_VECTOR = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
    '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
    '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
    '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  header: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
} as const;

/** A Slack Events API callback, signed with openssl over `v0:1700000000:<body>`. */
export const SLACK_EVENT_VECTOR = {
  secret: 'slack-signing-secret',
  timestamp: '1700000000',
  body:
    '{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":{"type":"app_mention","user":"U123ABC456",' +
    '"text":"hi","ts":"1515449522.000016","channel":"C123ABC456"},"type":"event_callback","event_id":"Ev123ABC456",' +
    '"event_time":1700000000}',
  header: 'v0=a59ac35ab1010e0a81a1fb4c329ee685483150b9c389d8c3968a1d21a590b94a',
} as const;

/**
 * A Paddle Billing notification, signed with openssl over `1700000000:<body>`; the Paddle SDK's
 * own `Webhooks.isSignatureValid` accepts it (paddle.test.ts). The SDK has no signing function.
 */
export const PADDLE_VECTOR = {
  secret: 'pdl_ntfset_01h8bkrfe7w1vwf8xmytwn51e7_secret',
  timestamp: 1_700_000_000,
  body:
    '{"event_id":"evt_01h8bzakzx3hm2fmen703n5q45","event_type":"transaction.completed","occurred_at":"2023-11-14T22:13:20.000000Z",' +
    '"notification_id":"ntf_01h8bzam1z32agrxjwhjgqk8w6","data":{"id":"txn_01h8bx69629a16wwm9z8rjmak3","status":"completed"}}',
  h1: '0a96de813cab8fc4a59772a48f62df2d98be79e2ca03516edc1418707bb365c7',
} as const;

/**
 * A Linear webhook (webhookTimestamp 1700000000000 ms), signed with openssl over the body; the
 * Linear SDK's own `LinearWebhookClient.verify` accepts it (linear.test.ts). The SDK has no
 * signing function.
 */
export const LINEAR_VECTOR = {
  secret: 'lin_wh_test_secret',
  timestampMillis: 1_700_000_000_000,
  body:
    '{"action":"create","type":"Issue","data":{"id":"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9","title":"Fix the pipeline"},' +
    '"url":"https://linear.app/acme/issue/ENG-1","createdAt":"2023-11-14T22:13:20.000Z",' +
    '"organizationId":"b4b2a7d6-2d5c-4b5e-9e7e-0f6c2f1b0f3a","webhookTimestamp":1700000000000,' +
    '"webhookId":"0d1c2b3a-4e5f-6a7b-8c9d-0e1f2a3b4c5d"}',
  header: 'a2e6e37dc4d552aceaf8f85ad31ef98a9ff910db5f1c88d5f9ad0fdcee3a7b5a',
} as const;
