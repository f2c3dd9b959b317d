## Commands (shown in Telegram's command menu)
cmd-start = Запуск и главное меню
cmd-help = Как пользоваться ботом
cmd-menu = Главное меню
cmd-cancel = Отменить текущий шаг

## Marketplaces
mp-uzum = Uzum Market
mp-yandex = Яндекс Маркет
mp-wildberries = Wildberries
mp-ozon = Ozon

## Buttons
btn-marketplaces = 🛒 Мои маркетплейсы
btn-connect = ➕ Подключить маркетплейс
btn-language = 🌐 Язык
btn-help = ❓ Помощь
btn-admin = 🛠 Администрирование
btn-main-menu = 🏠 Главное меню
btn-cancel = ✖️ Отмена
btn-back = ⬅️ Назад
btn-try-again = 🔁 Ввести ключ заново
btn-test = 🔌 Проверить подключение
btn-pause = ⏸ Приостановить
btn-resume = ▶️ Возобновить
btn-replace-keys = 🔑 Заменить ключи
btn-delete = 🗑 Удалить
btn-back-to-list = ⬅️ Все маркетплейсы
btn-delete-yes = 🗑 Да, удалить
btn-delete-no = ⬅️ Нет, оставить
btn-open-card = 📋 Открыть карточку
btn-connect-another = ➕ Подключить ещё

## Start, menu, help
start-welcome = 👋 Добро пожаловать в SellerCloudX, { $name }!
    Здесь вы подключаете аккаунты Uzum Market, Яндекс Маркета, Wildberries и Ozon и управляете ими в одном месте.
start-welcome-back = 👋 С возвращением, { $name }!
start-invite-required = 🔒 SellerCloudX работает по приглашениям. Попросите у вашего менеджера SellerCloudX ссылку-приглашение и откройте её, чтобы начать.
start-invite-invalid = ⚠️ Эта ссылка-приглашение недействительна: срок её действия истёк или она уже использована. Попросите у менеджера SellerCloudX новую.
menu-title = 🏠 <b>Главное меню</b> — выберите действие:
help = ❓ <b>Как пользоваться SellerCloudX</b>
    • <b>Подключить маркетплейс</b>: выберите маркетплейс, создайте API-ключ в кабинете продавца (бот подскажет, где это сделать) и отправьте его сюда. Бот сразу удалит сообщение с ключом, проверит подключение и сохранит ключ в зашифрованном виде.
    • <b>Мои маркетплейсы</b>: карточка для каждого подключённого магазина — статус, последняя проверка и срок действия ключа. Там можно проверить подключение, приостановить работу, заменить ключи или удалить магазин.
    • /cancel прерывает текущий шаг в любой момент, /menu открывает главное меню.
    Ключи никогда не показываются целиком — только последние четыре символа.
cancelled = ✖️ Отменено. Ничего не сохранено.
nothing-to-cancel = Отменять нечего.
language-choose = 🌐 Выберите язык:
language-set = ✅ Язык: русский
button-outdated = Эта кнопка устарела. Откройте меню заново.
not-found = Не найдено: запись удалена или принадлежит не вам.
unknown-message = Не понял вас. Пожалуйста, пользуйтесь кнопками меню.
secret-outside-flow = 🔐 Я удалил ваше сообщение: оно похоже на API-ключ. Чтобы подключить маркетплейс, сначала нажмите «➕ Подключить маркетплейс» и отправьте ключ, когда бот его попросит.
error-internal = ⚠️ На нашей стороне что-то пошло не так. Ничего не изменилось — попробуйте ещё раз.

## Statuses
status-active = активен
status-paused = приостановлен
status-error = ошибка
status-draft = не завершён
partner-status-active = активен
partner-status-unreachable = заблокировал бота
partner-status-disabled = отключён

## Integration card
card-status = Статус: { $status }
card-account = Аккаунт: { $name }
card-key = Ключ: <code>{ $key }</code>
card-expiry = Ключ действует до: { $date } (осталось дней: { $days })
card-expiry-none = Ключ действует: бессрочно
card-last-check = Последняя проверка: { $time }
card-last-error = Последняя ошибка: { $error }
mps-title = 🛒 <b>Ваши маркетплейсы</b> ({ $count })
mps-open-hint = Нажмите на магазин, чтобы открыть его карточку.
mps-empty = Вы ещё не подключили ни одного маркетплейса.
test-running = Проверяю подключение…
test-ok = ✅ Подключение работает.
paused = Приостановлено: синхронизация не будет выполняться, пока вы не возобновите работу.
resumed = Работа возобновлена.
delete-confirm = 🗑 Удалить <b>{ $title }</b>?
    Ключи будут стёрты. Позже вы сможете подключить магазин снова.
deleted = Удалено.
delete-done = 🗑 Магазин <b>{ $title }</b> удалён, его ключи стёрты.

## Connecting
connect-choose = ➕ <b>Подключение маркетплейса</b>
    На каком маркетплейсе ваш магазин?
connect-howto-uzum = 🟣 <b>Uzum Market</b>
    1. Откройте кабинет продавца Uzum (seller.uzum.uz) и перейдите в раздел настроек с API-ключами.
    2. Создайте новый ключ (токен) и скопируйте его.
    Бот сам найдёт ваши магазины.
connect-howto-yandex = 🟡 <b>Яндекс Маркет</b>
    1. В кабинете продавца откройте <b>Настройки → API и модули</b>.
    2. Создайте токен типа <b>API-ключ</b> (не OAuth). Выдайте ему доступы: «Обработка заказов и учёт товаров», «Управление ценами», «Управление товарами и карточками», финансы и отчётность — или «Полное управление кабинетом».
    3. Скопируйте токен: он начинается с <code>ACMA:</code>.
    Бот сам найдёт ваш бизнес и магазины (кампании).
connect-howto-wildberries = 🟪 <b>Wildberries</b>
    1. На портале продавца откройте <b>Настройки → Доступ к API</b> и нажмите <b>Создать токен</b> → для интеграции вручную.
    2. Тип токена: <b>Базовый</b> (или «Сервисный» для SellerCloudX, если он доступен). Не используйте <b>Персональный</b> токен: Wildberries запрещает его в облачных сервисах.
    3. Категории: «Контент», «Цены и скидки», «Маркетплейс», «Статистика», «Аналитика», «Финансы». Доступ: <b>Чтение и запись</b>.
    Токен действует 180 дней — бот заранее напомнит о его замене.
connect-howto-ozon = 🔵 <b>Ozon</b>
    1. В кабинете продавца откройте <b>Настройки → Seller API</b> и нажмите <b>Сгенерировать ключ</b>.
    2. Назначение: «для внешнего сервиса», название: SellerCloudX. Уровень доступа: Admin или роли для товаров, цен и остатков, а также заказов (отправлений).
    3. Скопируйте ключ и <b>Client ID</b> — он указан на той же странице.
    Ключ действует 6 месяцев — бот заранее напомнит о его замене.
connect-ask-client-id = Шаг 1 из 2: отправьте ваш <b>Client ID</b> в Ozon (только цифры).
connect-ask-key-uzum = Отправьте API-токен Uzum Market. Я удалю сообщение сразу, как только прочитаю его.
connect-ask-key-yandex = Отправьте API-ключ Яндекс Маркета. Я удалю сообщение сразу, как только прочитаю его.
connect-ask-key-wildberries = Отправьте API-токен Wildberries. Я удалю сообщение сразу, как только прочитаю его.
connect-ask-key-ozon = Шаг 2 из 2: отправьте <b>API-ключ</b> Ozon. Я удалю сообщение сразу, как только прочитаю его.
connect-send-text = Пожалуйста, отправьте его обычным текстовым сообщением.
connect-use-buttons = Пожалуйста, выберите вариант кнопками выше или нажмите «Отмена».
key-deleted = 🔐 Я удалил ваше сообщение с ключом.
format-ozon-client-id = ⚠️ Client ID в Ozon — это число (только цифры), например 123456. Отправьте его ещё раз.
format-uzum-key = ⚠️ Это не похоже на токен Uzum (это длинная строка без пробелов). Скопируйте его заново и отправьте.
format-yandex-key = ⚠️ Это не похоже на API-ключ Яндекс Маркета (длинная строка без пробелов, начинается с ACMA:). Скопируйте его заново и отправьте.
format-yandex-oauth = ⚠️ Это OAuth-токен. Создайте токен типа <b>API-ключ</b> в разделе «Настройки → API и модули» и отправьте его.
format-wildberries-key = ⚠️ Это не похоже на токен Wildberries (три части, разделённые точками, без пробелов). Скопируйте его заново и отправьте.
format-ozon-key = ⚠️ Это не похоже на API-ключ Ozon (он выглядит так: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx). Скопируйте его заново и отправьте.
connect-checking = ⏳ Проверяю подключение: { $marketplace }…
connect-failed = ❌ Не удалось подключить { $marketplace }.
connect-ok-account = ✅ Ключ работает. Аккаунт: <b>{ $name }</b>
connect-choose-shop-uzum = Какой магазин подключить?
connect-choose-shop-yandex = Какой магазин (кампанию) подключить?
connect-choose-warehouse-wildberries = На какой склад передавать остатки?
connect-choose-warehouse-ozon = На какой склад передавать остатки?
connect-done = ✅ <b>Подключено!</b> Ключ сохранён в зашифрованном виде.
connect-already = ℹ️ Магазин <b>{ $title }</b> уже подключён. Чтобы сменить ключ, откройте его карточку и нажмите «Заменить ключи».
replace-intro = 🔑 Новые ключи для <b>{ $title }</b>.
replace-done = ✅ Ключи заменены.
replace-other-account = ❌ Этот ключ относится к другому аккаунту или магазину. Отправьте ключ того же аккаунта или подключите другой аккаунт как новый маркетплейс.

## Connection errors (cause → what the partner can do)
error-bad_key = Ключ неверный или был удалён. Скопируйте его заново в кабинете продавца (или создайте новый) и отправьте.
error-missing_scope = Ключ работает, но у него не хватает доступов, нужных боту. Создайте ключ с доступами, указанными в инструкции.
error-ip_restricted = Ключ ограничен определёнными IP-адресами. Снимите ограничение по IP для этого ключа в кабинете продавца.
error-key_expired = Срок действия ключа истёк. Создайте новый ключ в кабинете продавца и нажмите «Заменить ключи».
error-unavailable = Маркетплейс сейчас не отвечает. С вашим ключом всё в порядке — попробуйте через несколько минут.
error-rate_limited = Маркетплейс просит отправлять запросы реже. Попробуйте через минуту.
error-bad_response = Маркетплейс прислал неожиданный ответ. Попробуйте позже; если ошибка повторяется, напишите в поддержку.
error-not_supported = Этот маркетплейс не поддерживает такое действие.
error-no_shops = Ключ работает, но в этом аккаунте пока нет ни одного магазина.
error-detail = Ответ маркетплейса: <i>{ $detail }</i>
fix-ozon-missing_scope = В разделе «Настройки → Seller API» назначьте ключу уровень доступа Admin или роли для товаров, цен и остатков, а также заказов.
fix-wildberries-missing_scope = Создайте токен с категориями «Контент», «Цены и скидки», «Маркетплейс», «Статистика», «Аналитика» и «Финансы».
fix-yandex-missing_scope = Выдайте токену доступы «Обработка заказов и учёт товаров», «Управление ценами», «Управление товарами и карточками», а также к финансам и отчётности (или «Полное управление кабинетом»).
fix-ozon-ip_restricted = Откройте ключ в разделе «Настройки → Seller API» и удалите разрешённые сети или создайте новый ключ без них.

## Warnings about a working key
warning-wb_personal_token = Это <b>Персональный</b> токен. Wildberries запрещает использовать персональные токены в облачных сервисах — пожалуйста, создайте вместо него Базовый токен.
warning-wb_base_token = Базовый токен: Wildberries сильно ограничивает его (например, 4 загрузки цен в час). Изменения цен будут отправляться по очереди.
warning-wb_test_token = Это <b>Тестовый</b> токен: он работает только с тестовой средой (песочницей) Wildberries, а не с вашим настоящим магазином.
warning-wb_read_only = Токен только для чтения: остатки и цены не получится передавать в Wildberries.
warning-wb_missing_categories = У токена не хватает некоторых категорий («Контент», «Цены и скидки», «Маркетплейс», «Статистика», «Аналитика», «Финансы»), поэтому часть функций (в том числе финансовые отчёты) не будет работать.
warning-key_expires_soon = Срок действия ключа скоро истечёт — создайте новый и нажмите «Заменить ключи».
warning-ozon_missing_roles = У ключа не хватает ролей для некоторых функций (товары, цены и остатки или заказы).

## Admin
admin-only = ⛔️ Эта команда доступна только администраторам.
admin-title = 🛠 <b>Администрирование</b>
admin-partners-count = Партнёров: { $count }
admin-no-integrations = Пока не подключено ни одного маркетплейса.
btn-admin-partners = 👥 Партнёры
btn-admin-failing = 🔴 Интеграции с ошибками
btn-admin-invite = ✉️ Создать приглашение
btn-admin-configs = ⚙️ API маркетплейсов
btn-admin-invite-another = ✉️ Ещё одно приглашение
admin-partners-title = 👥 <b>Партнёры</b> (стр. { $page } из { $pages })
admin-partner-line = { $n }. { $name }{ $handle } · id { $tgid } · { $lang } · маркетплейсов: { $integrations } · { $status } · с { $joined }
admin-failing-none = ✅ Интеграций с ошибками нет.
admin-failing-title = 🔴 <b>Интеграции с ошибками</b> ({ $count })
admin-failing-line = <b>{ $title }</b>
    Партнёр: { $owner } (id { $tgid })
    Ошибка: { $error }
    Неудачных проверок подряд: { $streak } · последняя проверка: { $checked } · ключ { $key }
admin-invite-created = ✉️ <b>Приглашение создано</b>
    Отправьте эту ссылку партнёру (одноразовая, действует до { $expires }):
    { $link }
    Код: <code>{ $code }</code>
admin-configs-title = ⚙️ <b>API маркетплейсов</b>
admin-config-source-admin = задано администратором
admin-config-source-env = из настроек сервера
admin-config-rate-default = официальные лимиты
admin-config-line = <b>{ $marketplace }</b>
    Базовый URL: <code>{ $url }</code> ({ $source })
    Лимит запросов: { $rate } · авторизация: { $auth }
admin-config-docs = Документация: { $docs }
btn-admin-cfg-url = ✏️ Базовый URL
btn-admin-cfg-rate = ✏️ Лимит запросов
btn-admin-cfg-reset = ↩️ Вернуть стандартные
admin-ask-url = Отправьте новый базовый URL (должен начинаться с https:// или http://).
admin-ask-url-wildberries = Отправьте новый шаблон URL. Он должен содержать <code>{"{"}category{"}"}</code>, например <code>https://{"{"}category{"}"}-api.wildberries.ru</code>.
admin-ask-rate = Отправьте лимит запросов в секунду (целое число).
admin-config-saved = ✅ Сохранено.
admin-bad-url = ⚠️ Это некорректный URL. Он должен начинаться с https:// или http:// и не содержать пробелов.
admin-bad-url-wildberries = ⚠️ Это некорректный шаблон: он должен начинаться с https:// или http:// и содержать {"{"}category{"}"}.
admin-bad-rate = ⚠️ Отправьте целое число от 1 до { $max }.
admin-btn-stats = 📈 Статистика
admin-btn-broadcasts = 📣 Рассылки
admin-btn-audit = 📜 Журнал действий
admin-btn-refresh = 🔄 Обновить
admin-stats-title = 📈 <b>Платформа</b>
admin-stats-active = Активные партнёры: { $day } за сутки · { $week } за 7 дней · { $month } за 30 дней (из { $total })
admin-stats-integrations = • { $marketplace }: подключено { $total }, с ошибками { $failing }
admin-stats-orders = Заказов за { $days } дней: { $total } (сегодня: { $today })
admin-stats-alerts = Уведомлений за { $days } дней: ✅ { $sent } доставлено · ⚠️ { $failed } ошибок · 🚫 { $blocked } заблокировали
admin-stats-backlog = Очередь отправки: { $count }
admin-chart-orders = Заказы в день
admin-chart-active = Активные партнёры
admin-chart-days = { $days ->
    [one] 1 день
    [few] { $days } дня
   *[other] { $days } дней
}
admin-chart-all = всего
admin-broadcasts-title = 📣 <b>Рассылки</b>
admin-broadcasts-none = Рассылок пока не было.
admin-broadcast-line = <b>{ $date }</b> · { $audience } · получателей: { $recipients }
    ✅ доставлено { $sent } · 🚫 заблокировали { $blocked } · ⚠️ ошибок { $failed } · ⏳ в очереди { $pending }
    <i>{ $text }</i>
admin-btn-broadcast-new = ✏️ Новая рассылка
admin-btn-broadcast-edit = ✏️ Изменить текст
admin-btn-broadcast-audience = 👥 Изменить получателей
admin-btn-broadcast-send = 📣 Отправить { $count }
admin-broadcast-ask = ✏️ Отправьте текст рассылки. Можно использовать HTML Telegram: <code>&lt;b&gt;жирный&lt;/b&gt;</code>, <code>&lt;i&gt;курсив&lt;/i&gt;</code>, <code>&lt;a href="https://…"&gt;ссылка&lt;/a&gt;</code>. Ничего не уйдёт без вашего подтверждения.
admin-broadcast-too-long = ⚠️ Слишком длинно для одного сообщения: не больше { $max } символов (с тегами). Отправьте текст короче.
admin-broadcast-bad-html = ⚠️ Telegram не может показать этот текст: { $error }
    Проверьте, что каждый тег известен Telegram и закрыт, а «&lt;», который не тег, записан как &amp;lt;. Отправьте текст ещё раз.
admin-broadcast-audience-ask = ☝️ Так сообщение увидят партнёры. Кому его отправить?
admin-audience-all = 👥 Всем партнёрам
admin-audience-marketplace = 🏪 С { $marketplace }
admin-audience-language = { $language }
admin-broadcast-confirm = 📣 <b>Отправить сообщение выше?</b>
    Получатели: { $audience }
    Сколько: { $count }
admin-broadcast-nobody = Под «{ $audience }» никто не подходит. Выберите других получателей.
admin-broadcast-queued = ✅ Поставлено в очередь для { $count } партнёров.
admin-broadcast-already-sent = Эта рассылка уже отправлена.
admin-broadcast-cancelled = Отменено: ничего не отправлено.
admin-broadcast-report = 📣 <b>Рассылка от { $date } доставлена</b>
    Получателей: { $recipients }
    ✅ Доставлено: { $sent }
    🚫 Заблокировали бота: { $blocked }
    ⚠️ Ошибок: { $failed }
admin-audit-title = 📜 <b>Журнал действий</b> (страница { $page } из { $pages })
admin-audit-empty = Пока ничего не записано.
admin-audit-line = <b>{ $when }</b> · { $who }
    { $what }
admin-audit-system = бот
admin-audit-actor = { $name } (id { $tgid })
admin-audit-for = для { $name }
admin-audit-action-api-config-base-url = Изменён адрес API
admin-audit-action-api-config-rate-limit = Изменён лимит запросов API
admin-audit-action-broadcast-sent = Отправлена рассылка
admin-audit-action-integration-created = Подключён маркетплейс
admin-audit-action-integration-deleted = Отключён маркетплейс
admin-audit-action-integration-drift-policy = Изменена политика расхождений
admin-audit-action-integration-keys-replaced = Заменены ключи API
admin-audit-action-integration-order-poll-interval = Изменён интервал проверки заказов
admin-audit-action-integration-paused = Интеграция приостановлена
admin-audit-action-integration-resumed = Интеграция возобновлена
admin-audit-action-integration-stock-rule = Изменено правило остатков
admin-audit-action-invite-created = Создано приглашение
admin-audit-action-notifications-low-stock = Изменён порог малого остатка
admin-audit-action-notifications-muted = Уведомление выключено
admin-audit-action-notifications-unmuted = Уведомление включено
admin-audit-action-notifications-quiet-hours = Изменены тихие часы
admin-audit-action-notifications-runs-out-days = Изменён горизонт «закончится»
admin-audit-action-notifications-summary = Изменена ежедневная сводка
admin-audit-action-partner-registered = Зарегистрирован партнёр

## Products
btn-products = 📦 Товары
btn-search = 🔍 Поиск
btn-search-clear = ✖️ Сбросить поиск
btn-sync-products = 🔄 Синхронизировать товары
btn-export = ⬇️ Выгрузить
btn-import = ⬆️ Загрузить
btn-back-to-products = ⬅️ Товары
btn-set-stock = ✏️ Изменить остаток
btn-set-price = 💰 Изменить цену
btn-mp-price = 🏷 Своя цена на маркетплейсе
btn-mp-price-reset = ↩️ Вернуть общую цену
products-empty = 📦 Ваш каталог пуст. Нажмите «🔄 Синхронизировать товары», чтобы загрузить товары из подключённых маркетплейсов.
products-not-found = По запросу «{ $query }» ничего не найдено.
products-title = 📦 <b>Товары</b>: { $total } (стр. { $page } из { $pages })
products-search-active = 🔍 Поиск: «{ $query }»
products-search-ask = 🔍 Отправьте артикул (SKU), часть названия или штрихкод.
product-sku = Артикул: <code>{ $sku }</code> · штрихкод: { $barcode }
product-stock-price = Остаток: <b>{ $stock }</b> · цена: <b>{ $price }</b>
product-oversold = Продано больше, чем было в наличии: проверьте остаток.
product-no-listings = Товар пока не размещён ни на одном подключённом маркетплейсе.
product-on-marketplaces = <b>На маркетплейсах:</b>
product-listing-line = { $title }: { $status } · показывает { $seen } (отправлено { $pushed }, { $when }) · цена { $price }
product-own-price = (своя цена)
product-push-pending = ожидает отправки
product-push-failed = не отправлено: { $reason }
product-ask-stock = ✏️ <b>{ $sku }</b>: сейчас остаток { $stock }. Отправьте новый остаток (целое число). Он будет отправлен на все маркетплейсы.
product-ask-price = 💰 <b>{ $sku }</b>: сейчас цена { $price }. Отправьте новую цену для всех маркетплейсов (например, 125000 или 1249,90).
product-ask-mp-price = 🏷 Цена только для <b>{ $title }</b> (общая цена — { $price }). Отправьте цену.
product-mp-price-choose = 🏷 Для какого аккаунта маркетплейса?
product-bad-stock = ⚠️ Отправьте целое число от 0 до 1 000 000.
product-bad-price = ⚠️ Отправьте цену больше нуля, не более двух знаков после запятой, например 125000 или 1249,90.
product-stock-set = ✅ Остаток изменён на { $stock }. Отправляем его на ваши маркетплейсы.
product-price-set = ✅ Цена изменена на { $price }. Отправляем её на ваши маркетплейсы.
## Products: cost price, stock cover and the "runs out" alert
btn-cost-price = 💵 Себестоимость
btn-cost-price-clear = 🗑 Убрать себестоимость
btn-product-open = 📦 Открыть товар
btn-notif-runs-out = ⏳ Закончится через
btn-runs-out-days = { $days } дн.
product-cost-line = Себестоимость: <b>{ $cost }</b>
product-cost-none = Себестоимость: не задана
product-cost-unset = не задана
product-margin-line = Наценка до комиссий маркетплейсов: <b>{ $margin }</b> ({ $percent }% от цены)
product-ask-cost = 💵 <b>{ $sku }</b>: себестоимость сейчас { $cost }. Отправьте, во сколько вам обходится одна штука (например, 85000 или 849,90), или «-», чтобы убрать её. Она нужна только для расчёта прибыли и не отправляется на маркетплейсы.
product-bad-cost = ⚠️ Отправьте себестоимость больше нуля, не более двух знаков после запятой, например 85000 или 849,90 (или «-», чтобы убрать её).
product-cost-set = ✅ Себестоимость: { $cost }.
product-cost-cleared = ✅ Себестоимость убрана.
products-cover = ≈ { $days } дн.
products-runs-out-legend = ⏳ закончится в ближайшие { $days } дн. при нынешнем темпе продаж
import-cost-changes = 💵 Изменится себестоимость: { $count }
import-applied-cost = Изменена себестоимость: { $count }.
import-reason-bad_cost_price = себестоимость должна быть больше нуля, не более двух знаков после запятой; пишите 12000 или 12 000, а не 12,000
alert-runs-out = ⏳ <b>Скоро закончится</b>: { $name } (<code>{ $sku }</code>) — осталось { $stock }, хватит примерно на { $days } дн. при продажах { $rate } в день.
notif-runs-out-line = ⏳ Уведомление «закончится», когда остатка товара хватит на { $days } дн. или меньше при нынешнем темпе продаж.
notif-runs-out-ask = ⏳ Предупреждать, когда остатка товара хватит не больше чем на сколько дней (по продажам за 14 дней, иначе за 30)?
price-rule-uzum = Uzum Market: товар, участвующий в акции, сохраняет акционную цену до её окончания.
price-rule-yandex = Яндекс Маркет: цена задаётся сразу для всех ваших магазинов в кабинете (если кабинет не разрешает отдельную цену для каждого магазина).
price-rule-wildberries = Wildberries: если снизить цену в три раза и более, товар попадёт в «карантин цен», пока вы не подтвердите цену на портале продавца; с Базовым токеном изменения цен отправляются по очереди (4 загрузки в час).
price-rule-ozon = Ozon: цену товара можно менять не чаще 10 раз в час.
price-warning-wildberries-quarantine = Новая цена ниже старой в три раза или больше: Wildberries задержит её в карантине цен, пока вы не подтвердите её на портале продавца.
push-reason-other = маркетплейс отклонил изменение ({ $code })
push-reason-several_sizes = у карточки несколько размеров — укажите остаток для каждого размера на самом маркетплейсе
push-reason-no_stock_id = маркетплейс не передал идентификатор для отправки остатка
push-reason-no_price = цена не задана
push-reason-no_price_id = маркетплейс не передал идентификатор для отправки цены
push-reason-no_answer = маркетплейс не ответил по этому товару; попробуем ещё раз
push-reason-not_found = маркетплейс не нашёл этот товар
push-reason-not_linked = товар не подключён к продаже со своего склада (FBS) на Uzum
push-reason-invalid_value = маркетплейс не принял это значение
push-reason-price_quarantine = карантин цен: подтвердите новую цену на портале продавца Wildberries
push-reason-promo_locked = товар участвует в акции: цену нельзя изменить до её окончания
push-reason-only_default_price = кабинет разрешает только одну цену для всех магазинов
push-reason-hourly_limit = слишком много изменений цены за этот час; попробуем ещё раз позже
push-reason-too_many_requests = слишком частые отправки; попробуем ещё раз позже
push-reason-bad_key = ключ неверный или был удалён
push-reason-missing_scope = у ключа нет доступа к остаткам или ценам
push-reason-ip_restricted = ключ ограничен определёнными IP-адресами
push-reason-key_expired = срок действия ключа истёк
push-reason-unavailable = маркетплейс не отвечает; попробуем ещё раз
push-reason-rate_limited = маркетплейс просит отправлять запросы реже; попробуем ещё раз
push-reason-bad_response = маркетплейс прислал неожиданный ответ; попробуем ещё раз
push-reason-internal = на нашей стороне что-то пошло не так; попробуем ещё раз
push-reason-not_supported = этот маркетплейс такое не поддерживает
push-reason-no_shops = в аккаунте нет ни одного магазина

## Catalog sync
sync-choose = 🔄 Какой аккаунт маркетплейса синхронизировать?
sync-no-integrations = Сначала подключите маркетплейс, затем синхронизируйте его товары.
sync-paused = Этот маркетплейс приостановлен. Сначала возобновите его работу в карточке.
sync-already-running = Синхронизация этого маркетплейса уже идёт.
sync-running-elsewhere = ⏳ <b>{ $title }</b>: синхронизация уже идёт. Когда она закончится, результат будет в разделе 📦 Товары: запускать ещё одну не нужно.
sync-started = 🔄 <b>{ $title }</b>: читаю товары…
sync-progress = 🔄 <b>{ $title }</b>: прочитано товаров: { $count }…
sync-done = ✅ <b>{ $title }</b>: синхронизировано товаров: { $count }.
sync-failed = ❌ <b>{ $title }</b>: синхронизация прервалась, успели прочитать товаров: { $count }.
sync-counts = Новых в каталоге: { $created } · сопоставлено по артикулу: { $by_sku } · по штрихкоду: { $by_barcode } · не сопоставлено: { $unmatched }
sync-gone = Больше нет на маркетплейсе: { $count }
sync-duplicates = Дубли: артикулов в нескольких карточках — { $skus }, штрихкодов у нескольких артикулов — { $barcodes }.
sync-drift-stock-pushed = { $sku }: маркетплейс показывал остаток { $seen } вместо { $pushed } — ваш остаток отправлен повторно.
sync-drift-stock-adopted = { $sku }: маркетплейс показывал остаток { $seen } вместо { $pushed } — он принят как ваш остаток.
sync-drift-price-pushed = { $sku }: маркетплейс показывал цену { $seen } вместо { $pushed } — ваша цена отправлена повторно.
sync-drift-price-adopted = { $sku }: маркетплейс показывал цену { $seen } вместо { $pushed } — она принята как ваша цена.
sync-drift-more = …и ещё { $count }.
sync-duplicates-title = ⚠️ <b>Дубли: { $title }</b>
sync-duplicate-sku-line = • артикул { $sku }: в карточках: { $count }
sync-shared-barcode-line = • штрихкод { $barcode }: артикулы { $skus }
sync-no-duplicates = Дублей нет.
sync-unmatched-title = <b>Не сопоставлены ({ $title })</b>: { $count } (без артикула и без известного штрихкода)
btn-show-duplicates = ⚠️ Показать дубли
btn-show-unmatched = ❔ Показать несопоставленные
btn-retry-now = 🔁 Повторить сейчас

## Spreadsheets
export-choose = ⬇️ В каком формате?
export-preparing = Готовлю файл…
export-done = ⬇️ Ваш каталог, товаров: { $count }.
import-ask = ⬆️ Отправьте файл Excel (.xlsx) или CSV с колонкой <b>Артикул</b> (SKU) и колонкой <b>Остаток</b>, <b>Цена</b> и/или <b>Себестоимость</b> (заголовки на русском, узбекском или английском). Я проверю каждую строку и сначала покажу отчёт — ничего не изменится, пока вы не подтвердите.
import-send-file = Пожалуйста, отправьте файл как документ (.xlsx или .csv).
import-report = 📋 <b>Проверка импорта</b>: строк — { $total }, готово — { $valid }, отклонено — { $rejected }.
import-rejected-line = • строка { $row } ({ $sku }): { $reason }
import-rejected-more = …и ещё отклонённых строк: { $count }.
import-confirm = Применить готовые строки?
btn-import-apply = ✅ Применить строки ({ $count })
btn-import-cancel = ✖️ Отмена
import-applied = ✅ Применено. Товаров с новым остатком: { $stock }, с новой ценой: { $prices }. Изменения отправляются на ваши маркетплейсы.
import-cancelled = ✖️ Импорт отменён. Ничего не изменилось.
import-reason-other = не принято ({ $code })
import-reason-missing_sku = нет артикула
import-reason-bad_stock = остаток должен быть целым числом от 0 до 1 000 000
import-reason-bad_price = цена должна быть больше нуля, не более двух знаков после запятой; пишите 12000 или 12 000, а не 12,000
import-reason-nothing_to_update = не указаны ни остаток, ни цена, ни себестоимость
import-reason-duplicate_sku = этот артикул уже встречался выше в файле
import-reason-misaligned_row = в строке больше ячеек, чем в заголовке (запятая внутри значения? возьмите его в кавычки)
import-reason-unknown_sku = в вашем каталоге нет товара с таким артикулом
import-error-unsupported_format = ⚠️ Я умею читать только файлы .xlsx и .csv.
import-error-too_large = ⚠️ Файл слишком большой (не более 100 000 строк и 20 МБ).
import-error-no_header = ⚠️ Не нашёл колонку с артикулом. Добавьте строку заголовков с «Артикул» (или «SKU», «Artikul»).
import-error-no_columns = ⚠️ В файле нет колонки «Остаток», «Цена» или «Себестоимость».
import-error-empty = ⚠️ Файл пустой.
import-error-unreadable = ⚠️ Не удалось прочитать этот файл. Сохраните его заново как .xlsx или .csv и отправьте.

## Stock rules of one marketplace account
btn-stock-rules = ⚙️ Правила остатков
btn-rule-buffer = Резерв
btn-rule-max = Максимум
btn-rule-share = Доля %
btn-rule-floor = Порог обнуления
btn-drift-toggle = ↔️ Изменения в кабинете
rules-title = ⚙️ <b>Правила остатков: { $title }</b>
rules-buffer = Резерв (не показывать маркетплейсу): { $value }
rules-max = Показывать не больше: { $value }
rules-share = Доля остатка: { $value }%
rules-floor = Показывать 0, если остаток не больше: { $value }
rules-example = Пример: остаток 10 → будет показано { $shown }
rules-drift-push_back = Если кто-то изменит остаток или цену в кабинете этого маркетплейса: бот вернёт ваше значение.
rules-drift-adopt = Если кто-то изменит остаток или цену в кабинете этого маркетплейса: значение из кабинета станет вашим.
rules-ask-buffer = Отправьте, сколько единиц держать в резерве (маркетплейсу будет показан остаток минус это число).
rules-ask-max_quantity = Отправьте, сколько максимум может показывать этот маркетплейс (отправьте «-», чтобы убрать ограничение).
rules-ask-share_percent = Отправьте, какую долю остатка показывать здесь, в процентах (0–100).
rules-ask-floor = Отправьте остаток, при котором (и ниже) этот маркетплейс будет видеть 0.
rules-bad-value = ⚠️ Отправьте целое число от { $low } до { $high }.
rules-saved = ✅ Сохранено. Новые остатки отправляются на маркетплейс.

## Alerts
alert-new-order = 🛒 <b>Новый заказ</b>
alert-new-orders = 🛒 <b>Новые заказы: { $count }</b>
alert-order-head = <b>{ $marketplace }</b> · { $shop } — заказ <code>{ $order }</code>
alert-order-item = • { $name } × { $quantity }
alert-order-items-more = { $count ->
    [one] …и ещё { $count } товар
    [few] …и ещё { $count } товара
   *[other] …и ещё { $count } товаров
}
alert-order-total = Итого: <b>{ $total }</b>
alert-order-ship-by = ⏰ Отгрузить до <b>{ $time }</b>
alert-orders-together = Всего по заказам: <b>{ $total }</b>
alert-cancelled = ❌ <b>Заказ отменён</b>
alert-sync-failed = 🔴 <b>{ $title }</b>: { $job } не работает.
alert-sync-failed-next = Я продолжаю попытки по расписанию и сообщу вам, когда всё снова заработает.
alert-job-orders = получение заказов
alert-job-catalog = синхронизация каталога
alert-job-reconcile = сверка остатков
alert-job-finance = загрузка финансового отчёта
alert-job-stock_push = отправка остатков
alert-job-price_push = отправка цен
alert-job-other = синхронизация
alert-recovered = 🟢 <b>{ $title }</b> снова работает: заказы и остатки синхронизированы.
alert-low-stock = 📉 <b>Низкий остаток</b>: { $name } (<code>{ $sku }</code>) — осталось { $stock } (уведомление при { $threshold }).
alert-out-of-stock = 📭 <b>Нет в наличии</b>: { $name } (<code>{ $sku }</code>) — осталось { $stock }.
alert-key-expiring = 🔑 <b>{ $title }</b>: API-ключ перестанет работать { $days ->
    [1] в течение суток
    [one] через { $days } день
    [few] через { $days } дня
   *[other] через { $days } дней
} ({ $date }). Создайте новый ключ в кабинете продавца и нажмите «🔑 Заменить ключи».

## Orders, notification settings, sync dashboard (issue 5)
btn-orders = 🧾 Заказы
btn-notifications = 🔔 Уведомления
btn-sync-status = 📊 Статус синхронизации
orders-empty = 🧾 Заказов пока нет. Новые заказы с ваших маркетплейсов появятся здесь, и о каждом придёт сообщение.
orders-none-match = 🧾 Нет заказов, подходящих под эти фильтры.
orders-title = 🧾 <b>Заказы</b>: { $total } (стр. { $page } из { $pages })
orders-sales = 💰 Продано: { $count ->
    [one] { $count } заказ
    [few] { $count } заказа
   *[other] { $count } заказов
 } на { $total } (отменённые не считаются)
orders-filters = Показаны: { $marketplace } · { $state } · { $period }
orders-mp-all = Все маркетплейсы
orders-state-all = Все статусы
orders-period-all = За всё время
orders-period-today = Сегодня
orders-period-7d = За 7 дней
orders-period-30d = За 30 дней
orders-pick-mp = Заказы какого маркетплейса показать?
orders-pick-state = Заказы с каким статусом показать?
orders-pick-period = За какой период показать заказы?
btn-orders-filter-mp = 🏪 { $value }
btn-orders-filter-state = 📌 { $value }
btn-orders-filter-period = 📅 { $value }
btn-orders-filter-reset = ✖️ Сбросить фильтры
btn-back-to-orders = ⬅️ Заказы
order-state-new = новый
order-state-active = в работе
order-state-cancelled = отменён
order-state-done = выполнен
order-title = 🧾 <b>Заказ #{ $id }</b>
order-status = Статус: <b>{ $state }</b> (на маркетплейсе: { $status })
order-placed = Оформлен: { $time }
order-ship-by = Отгрузить до: { $time }
order-scheme = Схема: { $scheme }
order-items = Товары:
order-item-line = { $name } — артикул { $sku }: { $quantity } × { $price }
order-items-more = …и ещё товаров: { $count }.
order-total = Итого: <b>{ $total }</b>
order-no-ship-uzum = В API Uzum Market нет шага «отгружен»: заказы FBS сдайте в пункт приёма.
order-no-ship-ozon = В Ozon подтверждение означает сборку отправления, дальше оно передаётся курьеру (отдельного шага «отгрузить» нет).
btn-order-confirm = ✅ Подтвердить
btn-order-ship = 🚚 Отгрузить
btn-order-cancel = ✖️ Отменить заказ
btn-order-confirm-yes = ✅ Да, подтвердить
btn-order-ship-yes = 🚚 Да, отгрузить
btn-order-cancel-yes = ✖️ Да, отменить
btn-order-no = Нет
btn-order-open = 🧾 Открыть заказ
btn-order-open-number = 🧾 { $order }
order-cancel-why = Почему вы отменяете заказ #{ $id } ({ $title })? Причина будет передана маркетплейсу.
order-reason-stock = Нет в наличии
order-reason-buyer = Попросил покупатель
order-reason-other = Другая причина
order-ask-confirm = Подтвердить заказ #{ $id } ({ $title })? Маркетплейс узнает, что вы приняли заказ и готовите его.
order-ask-ship = Отметить заказ #{ $id } ({ $title }) как отгруженный?
order-ask-cancel = Отменить заказ #{ $id } ({ $title }), причина: { $reason }? Это действие нельзя отменить; остаток вернётся в ваш каталог.
order-action-sending = Отправляю на маркетплейс…
order-action-running = Этот заказ уже отправляется на маркетплейс. Подождите немного.
order-action-too-late = Для этого заказа это действие уже недоступно (его статус изменился). Вот его карточка.
order-confirmed = ✅ Заказ #{ $id } ({ $title }) подтверждён. Статус на маркетплейсе: { $status }.
order-shipped = 🚚 Заказ #{ $id } ({ $title }) отмечен как отгруженный. Статус на маркетплейсе: { $status }.
order-cancel-done = ✖️ Заказ #{ $id } ({ $title }) отменён. Статус на маркетплейсе: { $status }. Остаток скоро вернётся в ваш каталог.
order-action-failed = ⚠️ Заказ #{ $id } ({ $title }): маркетплейс не принял это действие.
order-not-supported = ⚠️ { $marketplace } не позволяет выполнить это действие через API, поэтому здесь его сделать нельзя. Выполните его в кабинете продавца.
btn-notif-quiet = 🌙 Тихие часы
btn-notif-low-stock = 📉 Порог низкого остатка
notif-title = 🔔 <b>Уведомления</b>
notif-kind-line = { $kind }: { $value }
notif-on = вкл.
notif-muted = выкл.
notif-kind-new_order = Новые заказы
notif-kind-cancelled = Отмены заказов
notif-kind-sync_failed = Сбои синхронизации
notif-kind-recovered = Синхронизация восстановлена
notif-kind-low_stock = Низкий остаток
notif-kind-key_expiring = Истекающие ключи
notif-kind-runs_out = Товар заканчивается
notif-kind-summary = Ежедневная сводка
notif-kind-broadcast = Новости от команды
notif-quiet-line = 🌙 Тихие часы: { $value } (время { $timezone }). Уведомления в эти часы задерживаются и приходят после их окончания.
notif-quiet-off = выключены
notif-low-stock-line = 📉 Уведомление о низком остатке, когда у товара осталось { $value } шт. или меньше (если у товара задан свой порог, действует он).
notif-muted-done = { $kind }: выкл.
notif-unmuted-done = { $kind }: вкл.
notif-saved = Сохранено.
notif-quiet-ask = 🌙 В какие часы придерживать уведомления? Время указано по { $timezone }; уведомления за эти часы придут, когда они закончатся.
notif-low-stock-ask = 📉 Отправьте остаток, при котором (и ниже) вы получите уведомление о низком остатке (сейчас { $value }), — целое число от 0 до 1 000 000.
notif-low-stock-bad = ⚠️ Отправьте целое число от 0 до 1 000 000.
notif-low-stock-set = ✅ Порог низкого остатка: { $value }.
dash-title = 📊 <b>Статус синхронизации: { $title }</b>
dash-kind-orders = 🧾 Заказы
dash-kind-catalog = 🔄 Каталог
dash-kind-stock_push = 📦 Отправка остатков
dash-kind-price_push = 💰 Отправка цен
dash-kind-reconcile = ↔️ Сверка остатков
dash-kind-finance = 💵 Финансовый отчёт
dash-schedule = { $every }, следующий запуск: { $next }
dash-last-ok = последний успешный: { $time }
dash-paused = на паузе
dash-every-minutes = раз в { $minutes } мин
dash-every-hours = раз в { $hours } ч
dash-every-days = раз в { $days } дн.
dash-no-runs = запусков пока не было
dash-run-ok = успешно
dash-run-partial = частично
dash-run-failed = ошибка
dash-run-running = выполняется
dash-run-error-other = ошибка { $code }
dash-counts-orders = новых: { $new }, изменено: { $changed }, отменено: { $cancelled }, прежних: { $baseline }
dash-counts-catalog = карточек: { $seen }, новых товаров: { $created }, не сопоставлено: { $unmatched }
dash-counts-push = отправлено: { $sent }, принято: { $accepted }, отклонено: { $rejected }
dash-counts-reconcile = проверено: { $checked }, расхождений: { $differing }
dash-counts-finance = прочитано строк: { $read }, новых: { $added }, исправлено: { $changed }
dash-interval-ask = Как часто проверять новые заказы:
dash-interval-set = Новые заказы теперь проверяются { $every }.
dash-run-queued = { $kind }: запускаю.
btn-dash-minutes = { $minutes } мин
btn-dash-run-orders = 🔁 Повторить: заказы
btn-dash-run-catalog = 🔁 Повторить: каталог
btn-dash-refresh = 🔄 Обновить
# ---- analytics: the report, profit, export, the daily summary (bot/handlers/analytics.py, bot/analytics_texts.py) ----
analytics-btn-open = 📊 Аналитика
analytics-btn-today = Сегодня
analytics-btn-yesterday = Вчера
analytics-btn-7d = 7 дней
analytics-btn-30d = 30 дней
analytics-btn-month = Этот месяц
analytics-btn-last-month = Прошлый месяц
analytics-btn-custom = 📅 Свои даты
analytics-btn-chart-daily = 📈 По дням
analytics-btn-chart-share = 🥧 Доли
analytics-btn-chart-top = 🏆 Топ
analytics-btn-profit = 💰 Прибыль
analytics-btn-top = 📋 Топ-10
analytics-btn-excel = 📥 Excel
analytics-btn-csv = 📥 CSV
analytics-btn-refresh = 🔄 Обновить цифры
analytics-btn-report = 📊 К отчёту
analytics-currency-uzs = сум
analytics-currency-rub = ₽
analytics-period-today = Сегодня
analytics-period-yesterday = Вчера
analytics-period-7d = 7 дней
analytics-period-30d = 30 дней
analytics-period-month = Этот месяц
analytics-period-last_month = Прошлый месяц
analytics-mp-all = Все маркетплейсы
analytics-title = 📊 <b>{ $period }</b> · { $marketplace }
analytics-orders = 🧾 Заказы: <b>{ $count }</b> ({ $change })
analytics-units = 📦 Продано, шт.: <b>{ $count }</b> ({ $change })
analytics-revenue = 💵 Выручка: <b>{ $amount }</b>
analytics-average = 🧮 Средний чек: { $amount }
analytics-cancelled = ❌ Отмены: { $count } · { $share } ({ $change })
analytics-returned = ↩️ Возвраты: { $count } · { $share } ({ $change })
analytics-split-title = 🏪 Выручка по маркетплейсам:
analytics-no-orders = Заказов нет ни в этом периоде, ни в предыдущем.
analytics-compared = Δ — к периоду { $period }.
analytics-top-title = 🏆 <b>Топ товаров</b> · { $period } · { $marketplace }
analytics-top-revenue = <b>По выручке, { $currency }:</b>
analytics-top-units = <b>По количеству:</b>
analytics-units-short = { $count } шт.
analytics-profit-title = 💰 <b>Прибыль</b> · { $period } · { $marketplace }
analytics-profit-none = Финансовых данных за этот период пока нет. Отчёты маркетплейсов читаются раз в день; нажмите «🔄 Обновить цифры», чтобы прочитать их сейчас.
analytics-profit-total = <b>{ $currency }</b>: продажи { $sales }, комиссии и услуги { $fees }, валовая прибыль <b>{ $profit }</b> (маржа { $margin })
analytics-profit-other-fees = в том числе расходы без привязки к товару (хранение, реклама): { $amount }
analytics-profit-left-out = не учтено: продажи товаров без себестоимости, { $amount }
analytics-profit-products = <b>По товарам</b> (продажи − комиссии − себестоимость):
analytics-profit-line = { $name }: { $units } шт., продажи { $sales }, комиссии { $fees }, себестоимость { $cost } → <b>{ $profit }</b> ({ $margin })
analytics-profit-no-cost = ⚠️ <b>У { $count } товаров нет себестоимости</b>, их прибыль неизвестна (бесплатными они не считаются):
analytics-profit-cost-hint = Укажите себестоимость в 📦 Товары → карточка товара или в столбце «Себестоимость» при импорте Excel.
analytics-more = …и ещё { $count }
analytics-chart-orders = Заказы
analytics-chart-revenue = Выручка, { $currency }
analytics-chart-top = Топ товаров по количеству
analytics-chart-empty = Продаж в этом периоде нет
analytics-range-ask = 📅 Напишите даты, с и по, например <code>{ $example }</code> (оба дня включительно).
analytics-range-example = Например: <code>{ $example }</code>
analytics-range-bad-format = ⚠️ Не удалось прочитать даты. Напишите их как день.месяц.год, с и по.
analytics-range-bad-order = ⚠️ Первая дата позже второй.
analytics-range-bad-future = ⚠️ Период заканчивается в будущем.
analytics-range-bad-too-long = ⚠️ Слишком длинный период: не больше { $days } дней.
analytics-export-preparing = Готовлю файл…
analytics-export-done = 📥 { $period } · { $marketplace }
analytics-refresh-started = 🔄 Финансовые отчёты маркетплейсов читаются заново. Откройте отчёт через минуту-две.
analytics-refresh-none = Нет активных подключений, из которых можно прочитать цифры.
analytics-summary-title-daily = 🗓 <b>Вчера, { $date }</b>
analytics-summary-title-weekly = 🗓 <b>Прошлая неделя, { $period }</b>
analytics-summary-compared-daily = Δ — к позавчера.
analytics-summary-compared-weekly = Δ — к неделе до этого.
analytics-summary-attention = <b>Требует внимания:</b>
analytics-summary-runs-out = 📉 { $name }: осталось { $stock }, примерно на { $days } дн.
analytics-summary-out-of-stock = 🚫 { $name }: закончился
analytics-summary-failing = 🔴 { $title }: синхронизация не проходит ({ $streak } раз подряд)
analytics-summary-key-expiring = 🔑 { $title }: ключ истекает через { $days } дн.
analytics-summary-all-good = ✅ Всё в порядке.
analytics-summary-btn-open = 📊 Открыть аналитику
analytics-btn-summary = 🗓 Ежедневная сводка
analytics-summary-line = 🗓 Сводка: { $value }
analytics-summary-mode-off = выключена
analytics-summary-mode-daily = каждый день в { $time }
analytics-summary-mode-weekly = по понедельникам в { $time }
analytics-summary-ask = 🗓 <b>Сводка</b>: вчерашние цифры в сравнении с позавчера, график и то, что требует внимания. Сейчас: { $value } (время { $timezone }).
analytics-summary-btn-off = Выключить
analytics-summary-btn-daily = Каждый день
analytics-summary-btn-weekly = Раз в неделю (пн)
analytics-summary-saved = Сохранено: { $value }
