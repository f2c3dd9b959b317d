## Commands (shown in Telegram's command menu)
cmd-start = Start and main menu
cmd-help = How to use the bot
cmd-menu = Main menu
cmd-cancel = Cancel the current step

## Marketplaces
mp-uzum = Uzum Market
mp-yandex = Yandex Market
mp-wildberries = Wildberries
mp-ozon = Ozon

## Buttons
btn-marketplaces = 🛒 My marketplaces
btn-connect = ➕ Connect a marketplace
btn-language = 🌐 Language
btn-help = ❓ Help
btn-admin = 🛠 Admin
btn-main-menu = 🏠 Main menu
btn-cancel = ✖️ Cancel
btn-back = ⬅️ Back
btn-try-again = 🔁 Enter the key again
btn-test = 🔌 Test connection
btn-pause = ⏸ Pause
btn-resume = ▶️ Resume
btn-replace-keys = 🔑 Replace keys
btn-delete = 🗑 Delete
btn-back-to-list = ⬅️ All marketplaces
btn-delete-yes = 🗑 Yes, delete
btn-delete-no = ⬅️ No, keep it
btn-open-card = 📋 Open the card
btn-connect-another = ➕ Connect another

## Start, menu, help
start-welcome = 👋 Welcome to SellerCloudX, { $name }!
    Here you connect your Uzum Market, Yandex Market, Wildberries and Ozon accounts and manage them in one place.
start-welcome-back = 👋 Welcome back, { $name }!
start-invite-required = 🔒 SellerCloudX is available by invitation. Ask your SellerCloudX manager for an invite link and open it to start.
start-invite-invalid = ⚠️ This invite link is not valid: it has expired or has already been used. Ask your SellerCloudX manager for a new one.
menu-title = 🏠 <b>Main menu</b> — choose what to do:
help = ❓ <b>How to use SellerCloudX</b>
    • <b>Connect a marketplace</b>: choose the marketplace, create an API key in its seller cabinet (the bot shows where), and send it here. The bot deletes the message with the key at once, checks the connection and stores the key encrypted.
    • <b>My marketplaces</b>: a card per connected shop with its status, last check and key expiry. There you can test the connection, pause, replace keys or delete it.
    • /cancel stops the current step at any time, /menu opens the main menu.
    Keys are never shown in full — only the last four characters.
cancelled = ✖️ Cancelled. Nothing was saved.
nothing-to-cancel = Nothing to cancel.
language-choose = 🌐 Choose your language:
language-set = ✅ Language: English
button-outdated = This button is out of date. Open the menu again.
not-found = Not found: it was deleted or it is not yours.
unknown-message = I did not understand that. Please use the menu buttons.
secret-outside-flow = 🔐 I deleted your message because it looked like an API key. To connect a marketplace, press “➕ Connect a marketplace” first and send the key when asked.
error-internal = ⚠️ Something went wrong on our side. Nothing was changed — please try again.

## Statuses
status-active = active
status-paused = paused
status-error = error
status-draft = not finished
partner-status-active = active
partner-status-unreachable = blocked the bot
partner-status-disabled = disabled

## Integration card
card-status = Status: { $status }
card-account = Account: { $name }
card-key = Key: <code>{ $key }</code>
card-expiry = Key valid until: { $date } ({ $days } days left)
card-expiry-none = Key valid until: no expiry date
card-last-check = Last check: { $time }
card-last-error = Last error: { $error }
mps-title = 🛒 <b>Your marketplaces</b> ({ $count })
mps-open-hint = Press a shop to open its card.
mps-empty = You have not connected any marketplace yet.
test-running = Checking the connection…
test-ok = ✅ The connection works.
paused = Paused: nothing will be synced until you resume.
resumed = Resumed.
delete-confirm = 🗑 Delete <b>{ $title }</b>?
    Its keys will be erased. You can connect it again later.
deleted = Deleted.
delete-done = 🗑 <b>{ $title }</b> was deleted and its keys erased.

## Connecting
connect-choose = ➕ <b>Connect a marketplace</b>
    Which marketplace is your shop on?
connect-howto-uzum = 🟣 <b>Uzum Market</b>
    1. Open the Uzum seller cabinet (seller.uzum.uz) and go to the settings section with API keys.
    2. Create a new key (token) and copy it.
    The bot will find your shops by itself.
connect-howto-yandex = 🟡 <b>Yandex Market</b>
    1. In the partner cabinet open <b>Settings → API and modules</b>.
    2. Create an <b>API key</b> token (not OAuth). Give it access to: inventory and order processing, pricing, offers and cards management, finance and accounting — or “all methods”.
    3. Copy the token: it starts with <code>ACMA:</code>.
    The bot will find your business and shops (campaigns) by itself.
connect-howto-wildberries = 🟪 <b>Wildberries</b>
    1. In the seller portal open <b>Settings → API integrations</b> and press <b>Create token</b> → Manual integration.
    2. Token type: <b>Base</b> (or a Service token for SellerCloudX if offered). Do not use a <b>Personal</b> token: Wildberries forbids it in cloud services.
    3. Categories: Content, Prices and discounts, Marketplace, Statistics, Analytics, Finance. Access: <b>Read and write</b>.
    The token is valid for 180 days; the bot will remind you before it expires.
connect-howto-ozon = 🔵 <b>Ozon</b>
    1. In the seller cabinet open <b>Settings → Seller API</b> and press <b>Generate key</b>.
    2. Purpose: “for an external service”, name: SellerCloudX. Access level: Admin, or the roles for products, prices and stock, and orders (postings).
    3. Copy the key and the <b>Client ID</b> shown on the same page.
    The key is valid for 6 months; the bot will remind you before it expires.
connect-ask-client-id = Step 1 of 2: send your Ozon <b>Client ID</b> (digits only).
connect-ask-key-uzum = Send your Uzum Market API token. I will delete the message as soon as I read it.
connect-ask-key-yandex = Send your Yandex Market API key token. I will delete the message as soon as I read it.
connect-ask-key-wildberries = Send your Wildberries API token. I will delete the message as soon as I read it.
connect-ask-key-ozon = Step 2 of 2: send your Ozon <b>API key</b>. I will delete the message as soon as I read it.
connect-send-text = Please send it as a text message.
connect-use-buttons = Please choose with the buttons above, or press Cancel.
key-deleted = 🔐 I deleted your message with the key.
format-ozon-client-id = ⚠️ The Ozon Client ID is a number (digits only), for example 123456. Send it again.
format-uzum-key = ⚠️ This does not look like an Uzum token (it is a long string without spaces). Copy it again and send it.
format-yandex-key = ⚠️ This does not look like a Yandex Market API key (a long string without spaces, starting with ACMA:). Copy it again and send it.
format-yandex-oauth = ⚠️ This is an OAuth token. Please create an <b>API key</b> token in Settings → API and modules and send that instead.
format-wildberries-key = ⚠️ This does not look like a Wildberries token (three parts separated by dots, no spaces). Copy it again and send it.
format-ozon-key = ⚠️ This does not look like an Ozon API key (it looks like xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx). Copy it again and send it.
connect-checking = ⏳ Checking the connection to { $marketplace }…
connect-failed = ❌ Could not connect to { $marketplace }.
connect-ok-account = ✅ The key works. Account: <b>{ $name }</b>
connect-choose-shop-uzum = Which shop do you want to connect?
connect-choose-shop-yandex = Which shop (campaign) do you want to connect?
connect-choose-warehouse-wildberries = Which warehouse should stock be sent to?
connect-choose-warehouse-ozon = Which warehouse should stock be sent to?
connect-done = ✅ <b>Connected!</b> The key is stored encrypted.
connect-already = ℹ️ <b>{ $title }</b> is already connected. To change its key, open its card and press “Replace keys”.
replace-intro = 🔑 New keys for <b>{ $title }</b>.
replace-done = ✅ Keys replaced.
replace-other-account = ❌ This key belongs to a different account or shop. Send a key of the same account, or connect the other one as a new marketplace.

## Connection errors (cause → what the partner can do)
error-bad_key = The key is wrong or was deleted. Copy it again from the seller cabinet (or create a new one) and send it.
error-missing_scope = The key works but lacks the access this bot needs. Create a key with the access listed in the instructions.
error-ip_restricted = The key is restricted to certain IP addresses. Remove the IP restriction for this key in the seller cabinet.
error-key_expired = The key has expired. Create a new key in the seller cabinet and press “Replace keys”.
error-unavailable = The marketplace is not answering right now. Nothing is wrong with your key — try again in a few minutes.
error-rate_limited = The marketplace asked us to slow down. Try again in a minute.
error-bad_response = The marketplace sent an unexpected answer. Try again later; if it keeps happening, contact support.
error-not_supported = This marketplace does not support this action.
error-no_shops = The key works, but there is no shop on this account yet.
error-detail = Marketplace says: <i>{ $detail }</i>
fix-ozon-missing_scope = In Settings → Seller API give the key the Admin access level or the roles for products, prices and stock, and orders.
fix-wildberries-missing_scope = Create a token with the categories Content, Prices and discounts, Marketplace, Statistics, Analytics and Finance.
fix-yandex-missing_scope = Give the token access to inventory and order processing, pricing, offers and cards management, finance and accounting (or all methods).
fix-ozon-ip_restricted = Open the key in Settings → Seller API and remove the allowed networks, or create a new key without them.

## Warnings about a working key
warning-wb_personal_token = This is a <b>Personal</b> token. Wildberries forbids personal tokens in cloud services — please create a Base token instead.
warning-wb_base_token = Base token: Wildberries limits it strongly (for example 4 price uploads per hour). Price changes will be queued.
warning-wb_test_token = This is a <b>Test</b> token: it works only with the Wildberries sandbox, not with your real shop.
warning-wb_read_only = The token is read-only: stock and prices cannot be sent to Wildberries.
warning-wb_missing_categories = The token lacks some categories (Content, Prices and discounts, Marketplace, Statistics, Analytics, Finance); some features (finance reports among them) will not work.
warning-key_expires_soon = The key expires soon — create a new one and press “Replace keys”.
warning-ozon_missing_roles = The key lacks roles for some features (products, prices and stock, or orders).

## Admin
admin-only = ⛔️ This command is for administrators only.
admin-title = 🛠 <b>Administration</b>
admin-partners-count = Partners: { $count }
admin-no-integrations = No marketplaces connected yet.
btn-admin-partners = 👥 Partners
btn-admin-failing = 🔴 Failing integrations
btn-admin-invite = ✉️ Create invite
btn-admin-configs = ⚙️ Marketplace APIs
btn-admin-invite-another = ✉️ One more invite
admin-partners-title = 👥 <b>Partners</b> (page { $page } of { $pages })
admin-partner-line = { $n }. { $name }{ $handle } · id { $tgid } · { $lang } · marketplaces: { $integrations } · { $status } · since { $joined }
admin-failing-none = ✅ No failing integrations.
admin-failing-title = 🔴 <b>Failing integrations</b> ({ $count })
admin-failing-line = <b>{ $title }</b>
    Partner: { $owner } (id { $tgid })
    Error: { $error }
    Failed checks in a row: { $streak } · last check { $checked } · key { $key }
admin-invite-created = ✉️ <b>Invite created</b>
    Send this link to the partner (one use, valid until { $expires }):
    { $link }
    Code: <code>{ $code }</code>
admin-configs-title = ⚙️ <b>Marketplace APIs</b>
admin-config-source-admin = set by an admin
admin-config-source-env = from the server settings
admin-config-rate-default = published limits
admin-config-line = <b>{ $marketplace }</b>
    Base URL: <code>{ $url }</code> ({ $source })
    Rate limit: { $rate } · auth: { $auth }
admin-config-docs = Docs: { $docs }
btn-admin-cfg-url = ✏️ Base URL
btn-admin-cfg-rate = ✏️ Rate limit
btn-admin-cfg-reset = ↩️ Back to defaults
admin-ask-url = Send the new base URL (starting with https:// or http://).
admin-ask-url-wildberries = Send the new URL template. It must contain <code>{"{"}category{"}"}</code>, for example <code>https://{"{"}category{"}"}-api.wildberries.ru</code>.
admin-ask-rate = Send the rate limit in requests per second (a whole number).
admin-config-saved = ✅ Saved.
admin-bad-url = ⚠️ That is not a valid URL. It must start with https:// or http:// and contain no spaces.
admin-bad-url-wildberries = ⚠️ That is not a valid template: it must start with https:// or http:// and contain {"{"}category{"}"}.
admin-bad-rate = ⚠️ Send a whole number from 1 to { $max }.
admin-btn-stats = 📈 Platform stats
admin-btn-broadcasts = 📣 Broadcasts
admin-btn-audit = 📜 Audit log
admin-btn-refresh = 🔄 Refresh
admin-stats-title = 📈 <b>Platform</b>
admin-stats-active = Active partners: { $day } today · { $week } in 7 days · { $month } in 30 days (of { $total })
admin-stats-integrations = • { $marketplace }: { $total } connected, { $failing } failing
admin-stats-orders = Orders in { $days } days: { $total } (today: { $today })
admin-stats-alerts = Alerts in { $days } days: ✅ { $sent } sent · ⚠️ { $failed } failed · 🚫 { $blocked } blocked
admin-stats-backlog = Outbox backlog: { $count }
admin-chart-orders = Orders a day
admin-chart-active = Active partners
admin-chart-days = { $days ->
    [one] 1 day
   *[other] { $days } days
}
admin-chart-all = all
admin-broadcasts-title = 📣 <b>Broadcasts</b>
admin-broadcasts-none = No broadcasts yet.
admin-broadcast-line = <b>{ $date }</b> · { $audience } · recipients: { $recipients }
    ✅ sent { $sent } · 🚫 blocked { $blocked } · ⚠️ failed { $failed } · ⏳ pending { $pending }
    <i>{ $text }</i>
admin-btn-broadcast-new = ✏️ New broadcast
admin-btn-broadcast-edit = ✏️ Change the text
admin-btn-broadcast-audience = 👥 Change the audience
admin-btn-broadcast-send = 📣 Send to { $count }
admin-broadcast-ask = ✏️ Send the text of the broadcast. You can use Telegram HTML: <code>&lt;b&gt;bold&lt;/b&gt;</code>, <code>&lt;i&gt;italic&lt;/i&gt;</code>, <code>&lt;a href="https://…"&gt;a link&lt;/a&gt;</code>. Nothing is sent before you confirm.
admin-broadcast-too-long = ⚠️ That is too long for one message: at most { $max } characters (tags included). Send a shorter text.
admin-broadcast-bad-html = ⚠️ Telegram cannot show this text: { $error }
    Check that every tag is one Telegram knows and is closed, and write &amp;lt; for a “&lt;” that is not a tag. Send the text again.
admin-broadcast-audience-ask = ☝️ This is the message partners will get. Who should get it?
admin-audience-all = 👥 All partners
admin-audience-marketplace = 🏪 With { $marketplace }
admin-audience-language = { $language }
admin-broadcast-confirm = 📣 <b>Send the message above?</b>
    Audience: { $audience }
    Recipients: { $count }
admin-broadcast-nobody = Nobody matches “{ $audience }”. Pick another audience.
admin-broadcast-queued = ✅ Queued for { $count } partners.
admin-broadcast-already-sent = This broadcast was sent already.
admin-broadcast-cancelled = Cancelled: nothing was sent.
admin-broadcast-report = 📣 <b>Broadcast of { $date } delivered</b>
    Recipients: { $recipients }
    ✅ Sent: { $sent }
    🚫 Blocked the bot: { $blocked }
    ⚠️ Failed: { $failed }
admin-audit-title = 📜 <b>Audit log</b> (page { $page } of { $pages })
admin-audit-empty = Nothing recorded yet.
admin-audit-line = <b>{ $when }</b> · { $who }
    { $what }
admin-audit-system = the bot
admin-audit-actor = { $name } (id { $tgid })
admin-audit-for = for { $name }
admin-audit-action-api-config-base-url = API base URL changed
admin-audit-action-api-config-rate-limit = API rate limit changed
admin-audit-action-broadcast-sent = Broadcast sent
admin-audit-action-integration-created = Marketplace connected
admin-audit-action-integration-deleted = Marketplace disconnected
admin-audit-action-integration-drift-policy = Drift policy changed
admin-audit-action-integration-keys-replaced = API keys replaced
admin-audit-action-integration-order-poll-interval = Order check interval changed
admin-audit-action-integration-paused = Integration paused
admin-audit-action-integration-resumed = Integration resumed
admin-audit-action-integration-stock-rule = Stock rule changed
admin-audit-action-invite-created = Invite created
admin-audit-action-notifications-low-stock = Low-stock threshold changed
admin-audit-action-notifications-muted = Alert muted
admin-audit-action-notifications-unmuted = Alert unmuted
admin-audit-action-notifications-quiet-hours = Quiet hours changed
admin-audit-action-notifications-runs-out-days = “Runs out” horizon changed
admin-audit-action-notifications-summary = Daily summary changed
admin-audit-action-partner-registered = Partner registered

## Products
btn-products = 📦 Products
btn-search = 🔍 Search
btn-search-clear = ✖️ Clear search
btn-sync-products = 🔄 Sync products
btn-export = ⬇️ Export
btn-import = ⬆️ Import
btn-back-to-products = ⬅️ Products
btn-set-stock = ✏️ Set stock
btn-set-price = 💰 Set price
btn-mp-price = 🏷 Price for one marketplace
btn-mp-price-reset = ↩️ Use the common price
products-empty = 📦 Your catalog is empty. Press “🔄 Sync products” to bring in the products of your connected marketplaces.
products-not-found = Nothing found for “{ $query }”.
products-title = 📦 <b>Products</b>: { $total } (page { $page } of { $pages })
products-search-active = 🔍 Search: “{ $query }”
products-search-ask = 🔍 Send a SKU, a part of the name or a barcode.
product-sku = SKU: <code>{ $sku }</code> · barcode: { $barcode }
product-stock-price = Stock: <b>{ $stock }</b> · price: <b>{ $price }</b>
product-oversold = More was sold than was in stock: check the stock.
product-no-listings = Not listed on any connected marketplace yet.
product-on-marketplaces = <b>On marketplaces:</b>
product-listing-line = { $title }: { $status } · shows { $seen } (sent { $pushed }, { $when }) · price { $price }
product-own-price = (its own price)
product-push-pending = waiting to be sent
product-push-failed = not sent: { $reason }
product-ask-stock = ✏️ <b>{ $sku }</b>: stock now { $stock }. Send the new stock (a whole number). It will be sent to every marketplace.
product-ask-price = 💰 <b>{ $sku }</b>: price now { $price }. Send the new price for every marketplace (e.g. 125000 or 1249.90).
product-ask-mp-price = 🏷 Price on <b>{ $title }</b> only (the common price is { $price }). Send the price.
product-mp-price-choose = 🏷 For which marketplace account?
product-bad-stock = ⚠️ Send a whole number from 0 to 1 000 000.
product-bad-price = ⚠️ Send a price above zero, with at most two decimals, e.g. 125000 or 1249.90.
product-stock-set = ✅ Stock set to { $stock }. It is being sent to your marketplaces.
product-price-set = ✅ Price set to { $price }. It is being sent to your marketplaces.
## Products: cost price, stock cover and the "runs out" alert
btn-cost-price = 💵 Cost price
btn-cost-price-clear = 🗑 Clear the cost price
btn-product-open = 📦 Open the product
btn-notif-runs-out = ⏳ Runs out within
btn-runs-out-days = { $days } days
product-cost-line = Cost price: <b>{ $cost }</b>
product-cost-none = Cost price: not set
product-cost-unset = not set
product-margin-line = Margin before marketplace fees: <b>{ $margin }</b> ({ $percent }% of the price)
product-ask-cost = 💵 <b>{ $sku }</b>: cost price now { $cost }. Send what one unit costs you (e.g. 85000 or 849.90), or “-” to clear it. It is used for profit only and never sent to a marketplace.
product-bad-cost = ⚠️ Send a cost price above zero, with at most two decimals, e.g. 85000 or 849.90 (or “-” to clear it).
product-cost-set = ✅ Cost price set to { $cost }.
product-cost-cleared = ✅ Cost price cleared.
products-cover = ≈ { $days } d.
products-runs-out-legend = ⏳ runs out within { $days } days at the pace of recent sales
import-cost-changes = 💵 Cost prices to change: { $count }
import-applied-cost = Cost prices changed: { $count }.
import-reason-bad_cost_price = cost price must be above zero with at most two decimals; write 12000 or 12 000 rather than 12,000
alert-runs-out = ⏳ <b>Runs out soon</b>: { $name } (<code>{ $sku }</code>) — { $stock } left, enough for about { $days } days at { $rate } sold a day.
notif-runs-out-line = ⏳ “Runs out” alert when a product's stock lasts { $days } days or less at the pace of recent sales.
notif-runs-out-ask = ⏳ Alert me when a product's stock will last at most how many days (at the pace of the last 14 days, else 30)?
price-rule-uzum = Uzum Market: a product in a promotion keeps its promo price until the promotion ends.
price-rule-yandex = Yandex Market: the price is set for all your shops in the cabinet (unless it allows a price per shop).
price-rule-wildberries = Wildberries: a price cut to a third or less puts the product in “price quarantine” until you confirm it in the seller portal; with a Base token price changes are queued (4 uploads per hour).
price-rule-ozon = Ozon: a product's price can change at most 10 times per hour.
price-warning-wildberries-quarantine = The new price is a third of the old one or less: Wildberries will hold it in price quarantine until you confirm it in the seller portal.
push-reason-other = the marketplace refused it ({ $code })
push-reason-several_sizes = the card has several sizes; set stock per size in the marketplace
push-reason-no_stock_id = the marketplace gave no id to send stock to
push-reason-no_price = no price is set
push-reason-no_price_id = the marketplace gave no id to send prices to
push-reason-no_answer = the marketplace did not answer for this item; it will be retried
push-reason-not_found = the marketplace does not know this item
push-reason-not_linked = the product is not enabled for sale from your warehouse (FBS) on Uzum
push-reason-invalid_value = the marketplace did not accept the value
push-reason-price_quarantine = price quarantine: confirm the new price in the Wildberries seller portal
push-reason-promo_locked = the product is in a promotion: its price is locked until it ends
push-reason-only_default_price = the cabinet allows only one price for all shops
push-reason-hourly_limit = too many price changes this hour; it will be retried
push-reason-too_many_requests = sent too often; it will be retried
push-reason-bad_key = the key is wrong or was deleted
push-reason-missing_scope = the key lacks access to stock or prices
push-reason-ip_restricted = the key is restricted to certain IP addresses
push-reason-key_expired = the key has expired
push-reason-unavailable = the marketplace is not answering; it will be retried
push-reason-rate_limited = the marketplace asked us to slow down; it will be retried
push-reason-bad_response = the marketplace sent an unexpected answer; it will be retried
push-reason-internal = something went wrong on our side; it will be retried
push-reason-not_supported = this marketplace does not support it
push-reason-no_shops = the account has no shop

## Catalog sync
sync-choose = 🔄 Which marketplace account should I sync?
sync-no-integrations = Connect a marketplace first, then sync its products.
sync-paused = This marketplace is paused. Resume it on its card first.
sync-already-running = A sync of this marketplace is already running.
sync-running-elsewhere = ⏳ <b>{ $title }</b>: a sync is already running. When it finishes, its result is in 📦 Products: no need to start another.
sync-started = 🔄 <b>{ $title }</b>: reading products…
sync-progress = 🔄 <b>{ $title }</b>: { $count } products read…
sync-done = ✅ <b>{ $title }</b>: { $count } products synced.
sync-failed = ❌ <b>{ $title }</b>: the sync stopped after { $count } products.
sync-counts = New in the catalog: { $created } · matched by SKU: { $by_sku } · by barcode: { $by_barcode } · not matched: { $unmatched }
sync-gone = No longer on the marketplace: { $count }
sync-duplicates = Duplicates: { $skus } SKUs on several listings, { $barcodes } barcodes under several SKUs.
sync-drift-stock-pushed = { $sku }: the marketplace showed stock { $seen } instead of { $pushed } — your stock is sent again.
sync-drift-stock-adopted = { $sku }: the marketplace showed stock { $seen } instead of { $pushed } — taken over as your stock.
sync-drift-price-pushed = { $sku }: the marketplace showed price { $seen } instead of { $pushed } — your price is sent again.
sync-drift-price-adopted = { $sku }: the marketplace showed price { $seen } instead of { $pushed } — taken over as your price.
sync-drift-more = …and { $count } more.
sync-duplicates-title = ⚠️ <b>Duplicates on { $title }</b>
sync-duplicate-sku-line = • SKU { $sku }: on { $count } listings
sync-shared-barcode-line = • barcode { $barcode }: SKUs { $skus }
sync-no-duplicates = No duplicates.
sync-unmatched-title = <b>Not matched on { $title }</b>: { $count } (no SKU and no known barcode)
btn-show-duplicates = ⚠️ Show duplicates
btn-show-unmatched = ❔ Show not matched
btn-retry-now = 🔁 Retry now

## Spreadsheets
export-choose = ⬇️ In which format?
export-preparing = Preparing the file…
export-done = ⬇️ Your catalog: { $count } products.
import-ask = ⬆️ Send an Excel (.xlsx) or CSV file with a <b>SKU</b> column and a <b>Stock</b>, <b>Price</b> and/or <b>Cost price</b> column (headers in English, Russian or Uzbek). I will check every row and show you a report first — nothing changes until you confirm.
import-send-file = Please send the file as a document (.xlsx or .csv).
import-report = 📋 <b>Import check</b>: { $total } rows — { $valid } ready, { $rejected } rejected.
import-rejected-line = • row { $row } ({ $sku }): { $reason }
import-rejected-more = …and { $count } more rejected rows.
import-confirm = Apply the ready rows?
btn-import-apply = ✅ Apply { $count } rows
btn-import-cancel = ✖️ Cancel
import-applied = ✅ Applied: stock changed for { $stock } products, prices for { $prices }. They are being sent to your marketplaces.
import-cancelled = ✖️ Import cancelled. Nothing was changed.
import-reason-other = not accepted ({ $code })
import-reason-missing_sku = no SKU
import-reason-bad_stock = stock must be a whole number from 0 to 1 000 000
import-reason-bad_price = price must be above zero with at most two decimals; write 12000 or 12 000 rather than 12,000
import-reason-nothing_to_update = no stock, price or cost price given
import-reason-duplicate_sku = the same SKU appears earlier in the file
import-reason-misaligned_row = the row has more cells than the header (a comma inside a value? put it in quotes)
import-reason-unknown_sku = no product with this SKU in your catalog
import-error-unsupported_format = ⚠️ I can read .xlsx and .csv files only.
import-error-too_large = ⚠️ The file is too large (at most 100 000 rows, 20 MB).
import-error-no_header = ⚠️ I could not find a SKU column. Add a header row with “SKU” (or “Артикул”, “Artikul”).
import-error-no_columns = ⚠️ The file has no Stock, Price or Cost price column.
import-error-empty = ⚠️ The file is empty.
import-error-unreadable = ⚠️ I could not read this file. Save it again as .xlsx or .csv and send it.

## Stock rules of one marketplace account
btn-stock-rules = ⚙️ Stock rules
btn-rule-buffer = Buffer
btn-rule-max = Maximum
btn-rule-share = Share %
btn-rule-floor = Zero below
btn-drift-toggle = ↔️ Changes in the cabinet
rules-title = ⚙️ <b>Stock rules: { $title }</b>
rules-buffer = Buffer (hold back): { $value }
rules-max = Show at most: { $value }
rules-share = Share of the stock: { $value }%
rules-floor = Show 0 when stock is at or below: { $value }
rules-example = Example: stock 10 → shown { $shown }
rules-drift-push_back = If someone changes stock or price in this marketplace's cabinet: your value is sent back.
rules-drift-adopt = If someone changes stock or price in this marketplace's cabinet: the cabinet's value becomes yours.
rules-ask-buffer = Send how many units to hold back (the marketplace is shown stock minus this).
rules-ask-max_quantity = Send the most this marketplace may show (send - for no maximum).
rules-ask-share_percent = Send the share of your stock to show here, in percent (0–100).
rules-ask-floor = Send the stock at or below which this marketplace is shown 0.
rules-bad-value = ⚠️ Send a whole number from { $low } to { $high }.
rules-saved = ✅ Saved. The new quantities are being sent.

## Alerts
alert-new-order = 🛒 <b>New order</b>
alert-new-orders = 🛒 <b>{ $count } new orders</b>
alert-order-head = <b>{ $marketplace }</b> · { $shop } — order <code>{ $order }</code>
alert-order-item = • { $name } × { $quantity }
alert-order-items-more = { $count ->
    [one] …and 1 more item
   *[other] …and { $count } more items
}
alert-order-total = Total: <b>{ $total }</b>
alert-order-ship-by = ⏰ Ship by <b>{ $time }</b>
alert-orders-together = All together: <b>{ $total }</b>
alert-cancelled = ❌ <b>Order cancelled</b>
alert-sync-failed = 🔴 <b>{ $title }</b>: { $job } stopped working.
alert-sync-failed-next = I keep trying on schedule and will tell you when it works again.
alert-job-orders = getting orders
alert-job-catalog = the catalog sync
alert-job-reconcile = the stock check
alert-job-finance = reading the finance report
alert-job-stock_push = sending stock
alert-job-price_push = sending prices
alert-job-other = the sync
alert-recovered = 🟢 <b>{ $title }</b> works again: orders and stock are in sync.
alert-low-stock = 📉 <b>Low stock</b>: { $name } (<code>{ $sku }</code>) — { $stock } left (you are alerted at { $threshold }).
alert-out-of-stock = 📭 <b>Out of stock</b>: { $name } (<code>{ $sku }</code>) — { $stock } left.
alert-key-expiring = 🔑 <b>{ $title }</b>: the API key stops working { $days ->
    [one] within a day
   *[other] in { $days } days
} ({ $date }). Create a new key in the seller cabinet and press “🔑 Replace keys”.

## Orders, notification settings, sync dashboard (issue 5)
btn-orders = 🧾 Orders
btn-notifications = 🔔 Notifications
btn-sync-status = 📊 Sync status
orders-empty = 🧾 No orders yet. New orders from your marketplaces appear here, and you get a message for each.
orders-none-match = 🧾 No orders match these filters.
orders-title = 🧾 <b>Orders</b>: { $total } (page { $page } of { $pages })
orders-sales = 💰 Sold: { $count ->
    [one] 1 order
   *[other] { $count } orders
 } for { $total } (cancelled ones not counted)
orders-filters = Showing: { $marketplace } · { $state } · { $period }
orders-mp-all = All marketplaces
orders-state-all = All statuses
orders-period-all = All time
orders-period-today = Today
orders-period-7d = Last 7 days
orders-period-30d = Last 30 days
orders-pick-mp = Show the orders of which marketplace?
orders-pick-state = Show orders with which status?
orders-pick-period = Show orders placed when?
btn-orders-filter-mp = 🏪 { $value }
btn-orders-filter-state = 📌 { $value }
btn-orders-filter-period = 📅 { $value }
btn-orders-filter-reset = ✖️ Clear filters
btn-back-to-orders = ⬅️ Orders
order-state-new = new
order-state-active = in progress
order-state-cancelled = cancelled
order-state-done = completed
order-title = 🧾 <b>Order #{ $id }</b>
order-status = Status: <b>{ $state }</b> (marketplace: { $status })
order-placed = Placed: { $time }
order-ship-by = Ship by: { $time }
order-scheme = Scheme: { $scheme }
order-items = Items:
order-item-line = { $name } — SKU { $sku }: { $quantity } × { $price }
order-items-more = …and { $count } more items.
order-total = Total: <b>{ $total }</b>
order-no-ship-uzum = Uzum Market has no “shipped” step in its API: hand FBS orders over at the drop-off point.
order-no-ship-ozon = On Ozon, confirming packs the posting; it goes to the courier from there (no separate “ship” step).
btn-order-confirm = ✅ Confirm
btn-order-ship = 🚚 Ship
btn-order-cancel = ✖️ Cancel the order
btn-order-confirm-yes = ✅ Yes, confirm
btn-order-ship-yes = 🚚 Yes, ship
btn-order-cancel-yes = ✖️ Yes, cancel it
btn-order-no = No
btn-order-open = 🧾 Open the order
btn-order-open-number = 🧾 { $order }
order-cancel-why = Why cancel order #{ $id } on { $title }? The marketplace is told the reason.
order-reason-stock = Out of stock
order-reason-buyer = The buyer asked
order-reason-other = Other reason
order-ask-confirm = Confirm order #{ $id } on { $title }? The marketplace is told that you accept it and will prepare it.
order-ask-ship = Mark order #{ $id } on { $title } as shipped?
order-ask-cancel = Cancel order #{ $id } on { $title } (reason: { $reason })? This cannot be undone; the stock comes back to your catalog.
order-action-sending = Sending to the marketplace…
order-action-running = This order is already being sent to the marketplace. Wait a moment.
order-action-too-late = This order can no longer take this action (its status changed). Here is its card.
order-confirmed = ✅ Order #{ $id } on { $title } is confirmed. Marketplace status: { $status }.
order-shipped = 🚚 Order #{ $id } on { $title } is marked as shipped. Marketplace status: { $status }.
order-cancel-done = ✖️ Order #{ $id } on { $title } is cancelled. Marketplace status: { $status }. The stock comes back to your catalog shortly.
order-action-failed = ⚠️ Order #{ $id } on { $title }: the marketplace did not accept this.
order-not-supported = ⚠️ { $marketplace } does not offer this action through its API, so it cannot be done from here. Do it in the seller cabinet.
btn-notif-quiet = 🌙 Quiet hours
btn-notif-low-stock = 📉 Low-stock threshold
notif-title = 🔔 <b>Notifications</b>
notif-kind-line = { $kind }: { $value }
notif-on = on
notif-muted = muted
notif-kind-new_order = New orders
notif-kind-cancelled = Cancellations
notif-kind-sync_failed = Sync failures
notif-kind-recovered = Sync recovered
notif-kind-low_stock = Low stock
notif-kind-key_expiring = Keys expiring
notif-kind-runs_out = Stock running out
notif-kind-summary = Daily summary
notif-kind-broadcast = News from the team
notif-quiet-line = 🌙 Quiet hours: { $value } ({ $timezone } time). Alerts in these hours are held and delivered afterwards.
notif-quiet-off = off
notif-low-stock-line = 📉 Low-stock alert when a product has { $value } or fewer left (a product's own threshold wins).
notif-muted-done = { $kind }: muted
notif-unmuted-done = { $kind }: on
notif-saved = Saved.
notif-quiet-ask = 🌙 When should alerts wait? Times are { $timezone } time; alerts in these hours are delivered when they end.
notif-low-stock-ask = 📉 Send the stock at or below which you get a low-stock alert (now { $value }), a whole number from 0 to 1 000 000.
notif-low-stock-bad = ⚠️ Send a whole number from 0 to 1 000 000.
notif-low-stock-set = ✅ Low-stock threshold set to { $value }.
dash-title = 📊 <b>Sync status: { $title }</b>
dash-kind-orders = 🧾 Orders
dash-kind-catalog = 🔄 Catalog
dash-kind-stock_push = 📦 Stock sent
dash-kind-price_push = 💰 Prices sent
dash-kind-reconcile = ↔️ Stock check
dash-kind-finance = 💵 Finance report
dash-schedule = { $every }, next { $next }
dash-last-ok = last success { $time }
dash-paused = paused
dash-every-minutes = every { $minutes } min
dash-every-hours = every { $hours } h
dash-every-days = every { $days } d
dash-no-runs = no runs yet
dash-run-ok = ok
dash-run-partial = partly done
dash-run-failed = failed
dash-run-running = running
dash-run-error-other = error { $code }
dash-counts-orders = new { $new }, changed { $changed }, cancelled { $cancelled }, earlier { $baseline }
dash-counts-catalog = { $seen } listings, { $created } new products, { $unmatched } not matched
dash-counts-push = sent { $sent }, accepted { $accepted }, refused { $rejected }
dash-counts-reconcile = checked { $checked }, differing { $differing }
dash-counts-finance = { $read } figures read, { $added } new, { $changed } corrected
dash-interval-ask = Check for new orders every:
dash-interval-set = New orders are now checked { $every }.
dash-run-queued = { $kind }: starting now.
btn-dash-minutes = { $minutes } min
btn-dash-run-orders = 🔁 Retry now: orders
btn-dash-run-catalog = 🔁 Retry now: catalog
btn-dash-refresh = 🔄 Refresh
# ---- analytics: the report, profit, export, the daily summary (bot/handlers/analytics.py, bot/analytics_texts.py) ----
analytics-btn-open = 📊 Analytics
analytics-btn-today = Today
analytics-btn-yesterday = Yesterday
analytics-btn-7d = 7 days
analytics-btn-30d = 30 days
analytics-btn-month = This month
analytics-btn-last-month = Last month
analytics-btn-custom = 📅 Custom dates
analytics-btn-chart-daily = 📈 By day
analytics-btn-chart-share = 🥧 Share
analytics-btn-chart-top = 🏆 Top
analytics-btn-profit = 💰 Profit
analytics-btn-top = 📋 Top 10
analytics-btn-excel = 📥 Excel
analytics-btn-csv = 📥 CSV
analytics-btn-refresh = 🔄 Update figures
analytics-btn-report = 📊 Back to the report
analytics-currency-uzs = UZS
analytics-currency-rub = ₽
analytics-period-today = Today
analytics-period-yesterday = Yesterday
analytics-period-7d = 7 days
analytics-period-30d = 30 days
analytics-period-month = This month
analytics-period-last_month = Last month
analytics-mp-all = All marketplaces
analytics-title = 📊 <b>{ $period }</b> · { $marketplace }
analytics-orders = 🧾 Orders: <b>{ $count }</b> ({ $change })
analytics-units = 📦 Units sold: <b>{ $count }</b> ({ $change })
analytics-revenue = 💵 Revenue: <b>{ $amount }</b>
analytics-average = 🧮 Average order: { $amount }
analytics-cancelled = ❌ Cancelled: { $count } · { $share } ({ $change })
analytics-returned = ↩️ Returned: { $count } · { $share } ({ $change })
analytics-split-title = 🏪 Revenue by marketplace:
analytics-no-orders = No orders in this period or the one before.
analytics-compared = Δ against { $period }.
analytics-top-title = 🏆 <b>Top products</b> · { $period } · { $marketplace }
analytics-top-revenue = <b>By revenue, { $currency }:</b>
analytics-top-units = <b>By units sold:</b>
analytics-units-short = { $count } pcs
analytics-profit-title = 💰 <b>Profit</b> · { $period } · { $marketplace }
analytics-profit-none = No finance figures for this period yet. The marketplaces' reports are read once a day; press “🔄 Update figures” to read them now.
analytics-profit-total = <b>{ $currency }</b>: sales { $sales }, marketplace fees { $fees }, gross profit <b>{ $profit }</b> (margin { $margin })
analytics-profit-other-fees = including fees tied to no product (storage, ads): { $amount }
analytics-profit-left-out = not counted: sales of products without a cost price, { $amount }
analytics-profit-products = <b>Per product</b> (sales − fees − cost):
analytics-profit-line = { $name }: { $units } pcs, sales { $sales }, fees { $fees }, cost { $cost } → <b>{ $profit }</b> ({ $margin })
analytics-profit-no-cost = ⚠️ <b>{ $count } products have no cost price</b>, so their profit is unknown (they are not counted as free):
analytics-profit-cost-hint = Set a cost price in 📦 Products → a product's card, or in the “Cost price” column of the Excel import.
analytics-more = …and { $count } more
analytics-chart-orders = Orders
analytics-chart-revenue = Revenue, { $currency }
analytics-chart-top = Top products by units sold
analytics-chart-empty = No sales in this period
analytics-range-ask = 📅 Type the dates, from and to, like <code>{ $example }</code> (both days included).
analytics-range-example = For example: <code>{ $example }</code>
analytics-range-bad-format = ⚠️ I could not read those dates. Type them as day.month.year, from and to.
analytics-range-bad-order = ⚠️ The first date is after the second one.
analytics-range-bad-future = ⚠️ That range ends in the future.
analytics-range-bad-too-long = ⚠️ That range is too long: at most { $days } days.
analytics-export-preparing = Preparing the file…
analytics-export-done = 📥 { $period } · { $marketplace }
analytics-refresh-started = 🔄 The marketplaces' finance reports are being read again. Open the report in a minute or two.
analytics-refresh-none = No active marketplace connection to read figures from.
analytics-summary-title-daily = 🗓 <b>Yesterday, { $date }</b>
analytics-summary-title-weekly = 🗓 <b>Last week, { $period }</b>
analytics-summary-compared-daily = Δ against the day before.
analytics-summary-compared-weekly = Δ against the week before.
analytics-summary-attention = <b>Needs attention:</b>
analytics-summary-runs-out = 📉 { $name }: { $stock } left, about { $days } days
analytics-summary-out-of-stock = 🚫 { $name }: out of stock
analytics-summary-failing = 🔴 { $title }: sync failing ({ $streak } times in a row)
analytics-summary-key-expiring = 🔑 { $title }: key expires in { $days } days
analytics-summary-all-good = ✅ Nothing needs your attention.
analytics-summary-btn-open = 📊 Open analytics
analytics-btn-summary = 🗓 Daily summary
analytics-summary-line = 🗓 Summary: { $value }
analytics-summary-mode-off = off
analytics-summary-mode-daily = every day at { $time }
analytics-summary-mode-weekly = Mondays at { $time }
analytics-summary-ask = 🗓 <b>Summary</b>: yesterday's figures against the day before, a chart, and what needs attention. Now: { $value } ({ $timezone } time).
analytics-summary-btn-off = Off
analytics-summary-btn-daily = Every day
analytics-summary-btn-weekly = Weekly (Mondays)
analytics-summary-saved = Saved: { $value }
