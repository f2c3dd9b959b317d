## Commands (shown in Telegram's command menu)
cmd-start = Boshlash va bosh menyu
cmd-help = Botdan qanday foydalanish
cmd-menu = Bosh menyu
cmd-cancel = Joriy qadamni bekor qilish

## Marketplaces
mp-uzum = Uzum Market
mp-yandex = Yandex Market
mp-wildberries = Wildberries
mp-ozon = Ozon

## Buttons
btn-marketplaces = 🛒 Marketpleyslarim
btn-connect = ➕ Marketpleys ulash
btn-language = 🌐 Til
btn-help = ❓ Yordam
btn-admin = 🛠 Boshqaruv paneli
btn-main-menu = 🏠 Bosh menyu
btn-cancel = ✖️ Bekor qilish
btn-back = ⬅️ Orqaga
btn-try-again = 🔁 Kalitni qayta kiritish
btn-test = 🔌 Ulanishni tekshirish
btn-pause = ⏸ Toʻxtatib turish
btn-resume = ▶️ Davom ettirish
btn-replace-keys = 🔑 Kalitlarni almashtirish
btn-delete = 🗑 Oʻchirish
btn-back-to-list = ⬅️ Barcha marketpleyslar
btn-delete-yes = 🗑 Ha, oʻchirilsin
btn-delete-no = ⬅️ Yoʻq, qolsin
btn-open-card = 📋 Kartochkani ochish
btn-connect-another = ➕ Yana bittasini ulash

## Start, menu, help
start-welcome = 👋 { $name }, SellerCloudX botiga xush kelibsiz!
    Bu yerda Uzum Market, Yandex Market, Wildberries va Ozon akkauntlaringizni ulab, ularni bir joyda boshqarasiz.
start-welcome-back = 👋 Yana xush kelibsiz, { $name }!
start-invite-required = 🔒 SellerCloudX faqat taklif orqali ishlaydi. SellerCloudX menejeringizdan taklif havolasini soʻrang va boshlash uchun uni oching.
start-invite-invalid = ⚠️ Bu taklif havolasi yaroqsiz: muddati tugagan yoki u allaqachon ishlatilgan. SellerCloudX menejeringizdan yangisini soʻrang.
menu-title = 🏠 <b>Bosh menyu</b> — kerakli amalni tanlang:
help = ❓ <b>SellerCloudX bilan qanday ishlash kerak</b>
    • <b>Marketpleys ulash</b>: marketpleysni tanlang, uning sotuvchi kabinetida API kalit yarating (bot qayerdan yaratishni koʻrsatadi) va uni shu yerga yuboring. Bot kalit yozilgan xabarni darhol oʻchiradi, ulanishni tekshiradi va kalitni shifrlangan holda saqlaydi.
    • <b>Marketpleyslarim</b>: har bir ulangan doʻkon uchun kartochka — holati, oxirgi tekshiruv va kalitning amal qilish muddati. U yerda ulanishni tekshirish, toʻxtatib turish, kalitlarni almashtirish yoki doʻkonni oʻchirish mumkin.
    • /cancel istalgan vaqtda joriy qadamni toʻxtatadi, /menu bosh menyuni ochadi.
    Kalitlar hech qachon toʻliq koʻrsatilmaydi — faqat oxirgi toʻrtta belgisi.
cancelled = ✖️ Bekor qilindi. Hech narsa saqlanmadi.
nothing-to-cancel = Bekor qilinadigan narsa yoʻq.
language-choose = 🌐 Tilni tanlang:
language-set = ✅ Til: oʻzbekcha
button-outdated = Bu tugma eskirgan. Menyuni qaytadan oching.
not-found = Topilmadi: u oʻchirilgan yoki sizga tegishli emas.
unknown-message = Tushunmadim. Iltimos, menyu tugmalaridan foydalaning.
secret-outside-flow = 🔐 Xabaringizni oʻchirib tashladim, chunki u API kalitga oʻxshaydi. Marketpleys ulash uchun avval «➕ Marketpleys ulash» tugmasini bosing va kalit soʻralganda uni yuboring.
error-internal = ⚠️ Bizda nimadir xato ketdi. Hech narsa oʻzgarmadi — iltimos, qaytadan urinib koʻring.

## Statuses
status-active = faol
status-paused = toʻxtatilgan
status-error = xato
status-draft = yakunlanmagan
partner-status-active = faol
partner-status-unreachable = botni bloklagan
partner-status-disabled = oʻchirilgan

## Integration card
card-status = Holati: { $status }
card-account = Akkaunt: { $name }
card-key = Kalit: <code>{ $key }</code>
card-expiry = Kalit amal qilish muddati: { $date } ({ $days } kun qoldi)
card-expiry-none = Kalit amal qilish muddati: muddatsiz
card-last-check = Oxirgi tekshiruv: { $time }
card-last-error = Oxirgi xato: { $error }
mps-title = 🛒 <b>Marketpleyslaringiz</b> ({ $count })
mps-open-hint = Kartochkasini ochish uchun doʻkonni bosing.
mps-empty = Siz hali birorta ham marketpleys ulamagansiz.
test-running = Ulanish tekshirilmoqda…
test-ok = ✅ Ulanish ishlayapti.
paused = Toʻxtatib turildi: qayta davom ettirmaguningizcha hech narsa sinxronlanmaydi.
resumed = Davom ettirildi.
delete-confirm = 🗑 <b>{ $title }</b> oʻchirilsinmi?
    Uning kalitlari oʻchiriladi. Keyinroq uni qayta ulashingiz mumkin.
deleted = Oʻchirildi.
delete-done = 🗑 <b>{ $title }</b> oʻchirildi, uning kalitlari yoʻq qilindi.

## Connecting
connect-choose = ➕ <b>Marketpleys ulash</b>
    Doʻkoningiz qaysi marketpleysda?
connect-howto-uzum = 🟣 <b>Uzum Market</b>
    1. Uzum sotuvchi kabinetini (seller.uzum.uz) oching va API kalitlar joylashgan sozlamalar boʻlimiga oʻting.
    2. Yangi kalit (token) yarating va uni nusxalab oling.
    Bot doʻkonlaringizni oʻzi topadi.
connect-howto-yandex = 🟡 <b>Yandex Market</b>
    1. Sotuvchi kabinetida <b>«Настройки → API и модули»</b> (Sozlamalar → API va modullar) boʻlimini oching.
    2. <b>API-ключ</b> turidagi token yarating (OAuth emas). Unga quyidagi ruxsatlarni bering: «Обработка заказов и учёт товаров» (buyurtmalar va qoldiqlar), «Управление ценами» (narxlar), «Управление товарами и карточками» (mahsulotlar va kartochkalar), moliya va hisobotlar — yoki «Полное управление кабинетом» (barcha metodlar).
    3. Tokenni nusxalab oling: u <code>ACMA:</code> bilan boshlanadi.
    Bot biznesingiz va doʻkonlaringizni (kampaniyalarni) oʻzi topadi.
connect-howto-wildberries = 🟪 <b>Wildberries</b>
    1. Sotuvchi portalida <b>«Настройки → Доступ к API»</b> (Sozlamalar → API ruxsati) boʻlimini oching, <b>«Создать токен»</b> (Token yaratish) tugmasini bosing va qoʻlda integratsiya variantini tanlang.
    2. Token turi: <b>«Базовый»</b> (asosiy). Agar SellerCloudX uchun «Сервисный» (servis) token taklif qilinsa, uni ham tanlash mumkin. <b>«Персональный»</b> (shaxsiy) tokendan foydalanmang: Wildberries uni bulutli servislarda ishlatishni taqiqlaydi.
    3. Kategoriyalar: «Контент», «Цены и скидки», «Маркетплейс», «Статистика», «Аналитика», «Финансы». Ruxsat: <b>«Чтение и запись»</b> (oʻqish va yozish).
    Token 180 kun amal qiladi — muddati tugashidan oldin bot sizga eslatadi.
connect-howto-ozon = 🔵 <b>Ozon</b>
    1. Sotuvchi kabinetida <b>«Настройки → Seller API»</b> boʻlimini oching va <b>«Сгенерировать ключ»</b> (Kalit yaratish) tugmasini bosing.
    2. Maqsadi: «tashqi servis uchun», nomi: SellerCloudX. Ruxsat darajasi: Admin yoki mahsulotlar, narxlar va qoldiqlar hamda buyurtmalar (joʻnatmalar) uchun rollar.
    3. Kalitni va shu sahifada koʻrsatilgan <b>Client ID</b> raqamini nusxalab oling.
    Kalit 6 oy amal qiladi — muddati tugashidan oldin bot sizga eslatadi.
connect-ask-client-id = 1-qadam (jami 2 ta): Ozon <b>Client ID</b> raqamingizni yuboring (faqat raqamlar).
connect-ask-key-uzum = Uzum Market API tokenini yuboring. Xabarni oʻqishim bilanoq oʻchirib tashlayman.
connect-ask-key-yandex = Yandex Market API kalitini (tokenini) yuboring. Xabarni oʻqishim bilanoq oʻchirib tashlayman.
connect-ask-key-wildberries = Wildberries API tokenini yuboring. Xabarni oʻqishim bilanoq oʻchirib tashlayman.
connect-ask-key-ozon = 2-qadam (jami 2 ta): Ozon <b>API kalitini</b> yuboring. Xabarni oʻqishim bilanoq oʻchirib tashlayman.
connect-send-text = Iltimos, uni oddiy matnli xabar qilib yuboring.
connect-use-buttons = Iltimos, yuqoridagi tugmalar orqali tanlang yoki «Bekor qilish» tugmasini bosing.
key-deleted = 🔐 Kalit yozilgan xabaringizni oʻchirib tashladim.
format-ozon-client-id = ⚠️ Ozon Client ID — bu son (faqat raqamlar), masalan 123456. Uni qaytadan yuboring.
format-uzum-key = ⚠️ Bu Uzum tokeniga oʻxshamaydi (u boʻsh joylarsiz uzun satr boʻladi). Uni qaytadan nusxalab yuboring.
format-yandex-key = ⚠️ Bu Yandex Market API kalitiga oʻxshamaydi (u boʻsh joylarsiz, ACMA: bilan boshlanadigan uzun satr boʻladi). Uni qaytadan nusxalab yuboring.
format-yandex-oauth = ⚠️ Bu OAuth token. Iltimos, «Настройки → API и модули» boʻlimida <b>API-ключ</b> turidagi token yarating va oʻshani yuboring.
format-wildberries-key = ⚠️ Bu Wildberries tokeniga oʻxshamaydi (u nuqtalar bilan ajratilgan uch qismdan iborat, boʻsh joylarsiz). Uni qaytadan nusxalab yuboring.
format-ozon-key = ⚠️ Bu Ozon API kalitiga oʻxshamaydi (u xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx koʻrinishida boʻladi). Uni qaytadan nusxalab yuboring.
connect-checking = ⏳ { $marketplace } bilan ulanish tekshirilmoqda…
connect-failed = ❌ { $marketplace } bilan ulanib boʻlmadi.
connect-ok-account = ✅ Kalit ishlayapti. Akkaunt: <b>{ $name }</b>
connect-choose-shop-uzum = Qaysi doʻkonni ulamoqchisiz?
connect-choose-shop-yandex = Qaysi doʻkonni (kampaniyani) ulamoqchisiz?
connect-choose-warehouse-wildberries = Qoldiqlar qaysi omborga yuborilsin?
connect-choose-warehouse-ozon = Qoldiqlar qaysi omborga yuborilsin?
connect-done = ✅ <b>Ulandi!</b> Kalit shifrlangan holda saqlandi.
connect-already = ℹ️ <b>{ $title }</b> allaqachon ulangan. Kalitini oʻzgartirish uchun uning kartochkasini oching va «Kalitlarni almashtirish» tugmasini bosing.
replace-intro = 🔑 <b>{ $title }</b> uchun yangi kalitlar.
replace-done = ✅ Kalitlar almashtirildi.
replace-other-account = ❌ Bu kalit boshqa akkaunt yoki doʻkonga tegishli. Aynan shu akkauntning kalitini yuboring yoki boshqa akkauntni yangi marketpleys sifatida ulang.

## Connection errors (cause → what the partner can do)
error-bad_key = Kalit notoʻgʻri yoki oʻchirib yuborilgan. Uni sotuvchi kabinetidan qaytadan nusxalang (yoki yangisini yarating) va yuboring.
error-missing_scope = Kalit ishlayapti, lekin unda bot uchun kerakli ruxsatlar yetishmaydi. Yoʻriqnomada koʻrsatilgan ruxsatlar bilan kalit yarating.
error-ip_restricted = Kalit faqat muayyan IP-manzillardan ishlashga cheklangan. Sotuvchi kabinetida ushbu kalit uchun IP cheklovini olib tashlang.
error-key_expired = Kalitning amal qilish muddati tugagan. Sotuvchi kabinetida yangi kalit yarating va «Kalitlarni almashtirish» tugmasini bosing.
error-unavailable = Marketpleys hozir javob bermayapti. Kalitingizda muammo yoʻq — bir necha daqiqadan soʻng qayta urinib koʻring.
error-rate_limited = Marketpleys soʻrovlarni kamaytirishni soʻradi. Bir daqiqadan soʻng qayta urinib koʻring.
error-bad_response = Marketpleys kutilmagan javob qaytardi. Keyinroq qayta urinib koʻring; xato takrorlanaversa, qoʻllab-quvvatlash xizmatiga murojaat qiling.
error-not_supported = Bu marketpleys ushbu amalni qoʻllab-quvvatlamaydi.
error-no_shops = Kalit ishlayapti, lekin bu akkauntda hali birorta ham doʻkon yoʻq.
error-detail = Marketpleys javobi: <i>{ $detail }</i>
fix-ozon-missing_scope = «Настройки → Seller API» boʻlimida kalitga Admin ruxsat darajasini yoki mahsulotlar, narxlar va qoldiqlar hamda buyurtmalar uchun rollarni bering.
fix-wildberries-missing_scope = «Контент», «Цены и скидки», «Маркетплейс», «Статистика», «Аналитика» va «Финансы» kategoriyalari bilan token yarating.
fix-yandex-missing_scope = Tokenga buyurtmalar va qoldiqlar, narxlar, mahsulotlar va kartochkalar, moliya va hisobotlar boʻyicha ruxsat bering (yoki «Полное управление кабинетом» — barcha metodlar).
fix-ozon-ip_restricted = «Настройки → Seller API» boʻlimida kalitni oching va ruxsat etilgan tarmoqlarni olib tashlang yoki ularsiz yangi kalit yarating.

## Warnings about a working key
warning-wb_personal_token = Bu <b>«Персональный»</b> (shaxsiy) token. Wildberries bulutli servislarda shaxsiy tokenlardan foydalanishni taqiqlaydi — iltimos, uning oʻrniga «Базовый» (asosiy) token yarating.
warning-wb_base_token = «Базовый» (asosiy) token: Wildberries uni qattiq cheklaydi (masalan, soatiga 4 marta narx yuklash). Narx oʻzgarishlari navbat bilan yuboriladi.
warning-wb_test_token = Bu <b>«Тестовый»</b> (test) token: u haqiqiy doʻkoningiz bilan emas, faqat Wildberries sinov muhiti (sandbox) bilan ishlaydi.
warning-wb_read_only = Token faqat oʻqish uchun: qoldiqlar va narxlarni Wildberries tizimiga yuborib boʻlmaydi.
warning-wb_missing_categories = Tokenda ayrim kategoriyalar yetishmaydi («Контент», «Цены и скидки», «Маркетплейс», «Статистика», «Аналитика», «Финансы»), shuning uchun ayrim funksiyalar (jumladan moliyaviy hisobotlar) ishlamaydi.
warning-key_expires_soon = Kalit muddati tez orada tugaydi — yangisini yarating va «Kalitlarni almashtirish» tugmasini bosing.
warning-ozon_missing_roles = Kalitda ayrim funksiyalar uchun rollar yetishmaydi (mahsulotlar, narxlar va qoldiqlar yoki buyurtmalar).

## Admin
admin-only = ⛔️ Bu buyruq faqat administratorlar uchun.
admin-title = 🛠 <b>Boshqaruv paneli</b>
admin-partners-count = Hamkorlar: { $count }
admin-no-integrations = Hali birorta ham marketpleys ulanmagan.
btn-admin-partners = 👥 Hamkorlar
btn-admin-failing = 🔴 Xatoli integratsiyalar
btn-admin-invite = ✉️ Taklif yaratish
btn-admin-configs = ⚙️ Marketpleyslar API
btn-admin-invite-another = ✉️ Yana bitta taklif
admin-partners-title = 👥 <b>Hamkorlar</b> (sahifa { $page }/{ $pages })
admin-partner-line = { $n }. { $name }{ $handle } · id { $tgid } · { $lang } · marketpleyslar: { $integrations } · { $status } · qoʻshilgan: { $joined }
admin-failing-none = ✅ Xatoli integratsiyalar yoʻq.
admin-failing-title = 🔴 <b>Xatoli integratsiyalar</b> ({ $count })
admin-failing-line = <b>{ $title }</b>
    Hamkor: { $owner } (id { $tgid })
    Xato: { $error }
    Ketma-ket muvaffaqiyatsiz tekshiruvlar: { $streak } · oxirgi tekshiruv: { $checked } · kalit { $key }
admin-invite-created = ✉️ <b>Taklif yaratildi</b>
    Ushbu havolani hamkorga yuboring (bir martalik, amal qilish muddati: { $expires }):
    { $link }
    Kod: <code>{ $code }</code>
admin-configs-title = ⚙️ <b>Marketpleyslar API</b>
admin-config-source-admin = administrator tomonidan oʻrnatilgan
admin-config-source-env = server sozlamalaridan
admin-config-rate-default = rasmiy limitlar
admin-config-line = <b>{ $marketplace }</b>
    Asosiy URL: <code>{ $url }</code> ({ $source })
    Soʻrovlar limiti: { $rate } · avtorizatsiya: { $auth }
admin-config-docs = Hujjatlar: { $docs }
btn-admin-cfg-url = ✏️ Asosiy URL
btn-admin-cfg-rate = ✏️ Soʻrovlar limiti
btn-admin-cfg-reset = ↩️ Standart holatga qaytarish
admin-ask-url = Yangi asosiy URL manzilni yuboring (u https:// yoki http:// bilan boshlanishi kerak).
admin-ask-url-wildberries = Yangi URL shablonini yuboring. Unda <code>{"{"}category{"}"}</code> boʻlishi shart, masalan <code>https://{"{"}category{"}"}-api.wildberries.ru</code>.
admin-ask-rate = Soniyasiga soʻrovlar limitini yuboring (butun son).
admin-config-saved = ✅ Saqlandi.
admin-bad-url = ⚠️ Bu yaroqli URL emas. U https:// yoki http:// bilan boshlanishi va boʻsh joylarsiz boʻlishi kerak.
admin-bad-url-wildberries = ⚠️ Bu yaroqli shablon emas: u https:// yoki http:// bilan boshlanishi va {"{"}category{"}"} qismini oʻz ichiga olishi kerak.
admin-bad-rate = ⚠️ Butun son yuboring: eng kami 1, eng koʻpi { $max }.
admin-btn-stats = 📈 Statistika
admin-btn-broadcasts = 📣 Xabarnomalar
admin-btn-audit = 📜 Amallar jurnali
admin-btn-refresh = 🔄 Yangilash
admin-stats-title = 📈 <b>Platforma</b>
admin-stats-active = Faol hamkorlar: bir kunda { $day } · 7 kunda { $week } · 30 kunda { $month } (jami { $total })
admin-stats-integrations = • { $marketplace }: { $total } ta ulangan, { $failing } tasida xato
admin-stats-orders = { $days } kundagi buyurtmalar: { $total } (bugun: { $today })
admin-stats-alerts = { $days } kundagi bildirishnomalar: ✅ { $sent } yetkazildi · ⚠️ { $failed } xato · 🚫 { $blocked } bloklagan
admin-stats-backlog = Yuborish navbati: { $count }
admin-chart-orders = Kunlik buyurtmalar
admin-chart-active = Faol hamkorlar
admin-chart-days = { $days } kun
admin-chart-all = jami
admin-broadcasts-title = 📣 <b>Xabarnomalar</b>
admin-broadcasts-none = Hali xabarnoma yuborilmagan.
admin-broadcast-line = <b>{ $date }</b> · { $audience } · qabul qiluvchilar: { $recipients }
    ✅ yetkazildi { $sent } · 🚫 bloklagan { $blocked } · ⚠️ xato { $failed } · ⏳ navbatda { $pending }
    <i>{ $text }</i>
admin-btn-broadcast-new = ✏️ Yangi xabarnoma
admin-btn-broadcast-edit = ✏️ Matnni oʻzgartirish
admin-btn-broadcast-audience = 👥 Qabul qiluvchilarni oʻzgartirish
admin-btn-broadcast-send = 📣 { $count } kishiga yuborish
admin-broadcast-ask = ✏️ Xabarnoma matnini yuboring. Telegram HTML ishlatish mumkin: <code>&lt;b&gt;qalin&lt;/b&gt;</code>, <code>&lt;i&gt;kursiv&lt;/i&gt;</code>, <code>&lt;a href="https://…"&gt;havola&lt;/a&gt;</code>. Siz tasdiqlamaguningizcha hech narsa yuborilmaydi.
admin-broadcast-too-long = ⚠️ Bitta xabar uchun juda uzun: koʻpi bilan { $max } belgi (teglar bilan). Qisqaroq matn yuboring.
admin-broadcast-bad-html = ⚠️ Telegram bu matnni koʻrsata olmaydi: { $error }
    Har bir teg Telegram biladigan teg ekanini va yopilganini tekshiring, teg boʻlmagan “&lt;” belgisini &amp;lt; deb yozing. Matnni qayta yuboring.
admin-broadcast-audience-ask = ☝️ Hamkorlar xabarni shunday koʻradi. Kimga yuborilsin?
admin-audience-all = 👥 Barcha hamkorlar
admin-audience-marketplace = 🏪 { $marketplace } ulanganlar
admin-audience-language = { $language }
admin-broadcast-confirm = 📣 <b>Yuqoridagi xabar yuborilsinmi?</b>
    Qabul qiluvchilar: { $audience }
    Soni: { $count }
admin-broadcast-nobody = “{ $audience }” boʻyicha hech kim topilmadi. Boshqa qabul qiluvchilarni tanlang.
admin-broadcast-queued = ✅ { $count } hamkor uchun navbatga qoʻyildi.
admin-broadcast-already-sent = Bu xabarnoma allaqachon yuborilgan.
admin-broadcast-cancelled = Bekor qilindi: hech narsa yuborilmadi.
admin-broadcast-report = 📣 <b>{ $date } dagi xabarnoma yetkazildi</b>
    Qabul qiluvchilar: { $recipients }
    ✅ Yetkazildi: { $sent }
    🚫 Botni bloklagan: { $blocked }
    ⚠️ Xato: { $failed }
admin-audit-title = 📜 <b>Amallar jurnali</b> ({ $pages } dan { $page }-sahifa)
admin-audit-empty = Hali hech narsa yozilmagan.
admin-audit-line = <b>{ $when }</b> · { $who }
    { $what }
admin-audit-system = bot
admin-audit-actor = { $name } (id { $tgid })
admin-audit-for = { $name } uchun
admin-audit-action-api-config-base-url = API manzili oʻzgartirildi
admin-audit-action-api-config-rate-limit = API soʻrovlar chegarasi oʻzgartirildi
admin-audit-action-broadcast-sent = Xabarnoma yuborildi
admin-audit-action-integration-created = Marketpleys ulandi
admin-audit-action-integration-deleted = Marketpleys uzildi
admin-audit-action-integration-drift-policy = Farqlar siyosati oʻzgartirildi
admin-audit-action-integration-keys-replaced = API kalitlari almashtirildi
admin-audit-action-integration-order-poll-interval = Buyurtmalarni tekshirish oraligʻi oʻzgartirildi
admin-audit-action-integration-paused = Integratsiya toʻxtatildi
admin-audit-action-integration-resumed = Integratsiya qayta ishga tushirildi
admin-audit-action-integration-stock-rule = Qoldiq qoidasi oʻzgartirildi
admin-audit-action-invite-created = Taklif yaratildi
admin-audit-action-notifications-low-stock = Kam qoldiq chegarasi oʻzgartirildi
admin-audit-action-notifications-muted = Bildirishnoma oʻchirildi
admin-audit-action-notifications-unmuted = Bildirishnoma yoqildi
admin-audit-action-notifications-quiet-hours = Tinch soatlar oʻzgartirildi
admin-audit-action-notifications-runs-out-days = “Tugaydi” muddati oʻzgartirildi
admin-audit-action-notifications-summary = Kunlik hisobot oʻzgartirildi
admin-audit-action-partner-registered = Hamkor roʻyxatdan oʻtdi

## Products
btn-products = 📦 Mahsulotlar
btn-search = 🔍 Qidirish
btn-search-clear = ✖️ Qidiruvni tozalash
btn-sync-products = 🔄 Mahsulotlarni sinxronlash
btn-export = ⬇️ Eksport
btn-import = ⬆️ Import
btn-back-to-products = ⬅️ Mahsulotlar
btn-set-stock = ✏️ Qoldiqni oʻzgartirish
btn-set-price = 💰 Narxni oʻzgartirish
btn-mp-price = 🏷 Bitta marketpleys uchun narx
btn-mp-price-reset = ↩️ Umumiy narxga qaytish
products-empty = 📦 Katalogingiz boʻsh. Ulangan marketpleyslaringizdagi mahsulotlarni olib kelish uchun «🔄 Mahsulotlarni sinxronlash» tugmasini bosing.
products-not-found = «{ $query }» boʻyicha hech narsa topilmadi.
products-title = 📦 <b>Mahsulotlar</b>: { $total } (sahifa { $page }/{ $pages })
products-search-active = 🔍 Qidiruv: «{ $query }»
products-search-ask = 🔍 SKU (artikul), mahsulot nomining bir qismi yoki shtrix-kodni yuboring.
product-sku = SKU: <code>{ $sku }</code> · shtrix-kod: { $barcode }
product-stock-price = Qoldiq: <b>{ $stock }</b> · narx: <b>{ $price }</b>
product-oversold = Ombordagidan koʻproq sotilgan: qoldiqni tekshiring.
product-no-listings = Hali birorta ham ulangan marketpleysga joylanmagan.
product-on-marketplaces = <b>Marketpleyslarda:</b>
product-listing-line = { $title }: { $status } · koʻrsatilmoqda: { $seen } (yuborilgan: { $pushed }, { $when }) · narx: { $price }
product-own-price = (alohida narx)
product-push-pending = yuborilishi kutilmoqda
product-push-failed = yuborilmadi: { $reason }
product-ask-stock = ✏️ <b>{ $sku }</b>: hozirgi qoldiq — { $stock }. Yangi qoldiqni yuboring (butun son). U barcha marketpleyslarga yuboriladi.
product-ask-price = 💰 <b>{ $sku }</b>: hozirgi narx — { $price }. Barcha marketpleyslar uchun yangi narxni yuboring (masalan, 125000 yoki 1249,90).
product-ask-mp-price = 🏷 Faqat <b>{ $title }</b> uchun narx (umumiy narx — { $price }). Narxni yuboring.
product-mp-price-choose = 🏷 Qaysi marketpleys akkaunti uchun?
product-bad-stock = ⚠️ 0 dan 1 000 000 gacha boʻlgan butun son yuboring.
product-bad-price = ⚠️ Noldan katta narx yuboring, verguldan keyin koʻpi bilan ikki raqam boʻlsin, masalan 125000 yoki 1249,90.
product-stock-set = ✅ Qoldiq { $stock } qilib belgilandi. U marketpleyslaringizga yuborilmoqda.
product-price-set = ✅ Narx { $price } qilib belgilandi. U marketpleyslaringizga yuborilmoqda.
## Products: cost price, stock cover and the "runs out" alert
btn-cost-price = 💵 Tannarx
btn-cost-price-clear = 🗑 Tannarxni oʻchirish
btn-product-open = 📦 Mahsulotni ochish
btn-notif-runs-out = ⏳ Tugash muddati
btn-runs-out-days = { $days } kun
product-cost-line = Tannarx: <b>{ $cost }</b>
product-cost-none = Tannarx: belgilanmagan
product-cost-unset = belgilanmagan
product-margin-line = Marketpleys komissiyalarigacha ustama: <b>{ $margin }</b> (narxning { $percent }%)
product-ask-cost = 💵 <b>{ $sku }</b>: hozirgi tannarx { $cost }. Bir dona sizga qanchaga tushishini yuboring (masalan, 85000 yoki 849,90) yoki oʻchirish uchun «-» yuboring. U faqat foydani hisoblash uchun kerak va marketpleyslarga yuborilmaydi.
product-bad-cost = ⚠️ Noldan katta, verguldan keyin koʻpi bilan ikki raqamli tannarx yuboring, masalan 85000 yoki 849,90 (yoki oʻchirish uchun «-»).
product-cost-set = ✅ Tannarx: { $cost }.
product-cost-cleared = ✅ Tannarx oʻchirildi.
products-cover = ≈ { $days } kun
products-runs-out-legend = ⏳ hozirgi sotuv surʼatida { $days } kun ichida tugaydi
import-cost-changes = 💵 Tannarxi oʻzgaradi: { $count }
import-applied-cost = Tannarxi oʻzgardi: { $count }.
import-reason-bad_cost_price = tannarx noldan katta, verguldan keyin koʻpi bilan ikki raqamli boʻlishi kerak; 12,000 emas, 12000 yoki 12 000 deb yozing
alert-runs-out = ⏳ <b>Tez orada tugaydi</b>: { $name } (<code>{ $sku }</code>) — { $stock } ta qoldi, kuniga { $rate } ta sotilsa, taxminan { $days } kunga yetadi.
notif-runs-out-line = ⏳ Mahsulot qoldigʻi hozirgi sotuv surʼatida { $days } kun yoki undan kamroqqa yetsa, «tugaydi» xabari keladi.
notif-runs-out-ask = ⏳ Mahsulot qoldigʻi necha kundan kamroqqa yetganda xabar berilsin (soʻnggi 14 kunlik, boʻlmasa 30 kunlik sotuv boʻyicha)?
price-rule-uzum = Uzum Market: aksiyadagi mahsulot aksiya tugaguncha aksiya narxida qoladi.
price-rule-yandex = Yandex Market: narx kabinetdagi barcha doʻkonlaringiz uchun bir xil belgilanadi (agar kabinetda har bir doʻkonga alohida narx qoʻyishga ruxsat berilmagan boʻlsa).
price-rule-wildberries = Wildberries: narx uch baravar yoki undan koʻproq tushirilsa, siz uni sotuvchi portalida tasdiqlamaguningizcha mahsulot «narx karantini»ga («Карантин цен») tushadi; «Базовый» (asosiy) token bilan narx oʻzgarishlari navbat bilan yuboriladi (soatiga 4 marta yuklash).
price-rule-ozon = Ozon: mahsulot narxini soatiga koʻpi bilan 10 marta oʻzgartirish mumkin.
price-warning-wildberries-quarantine = Yangi narx eskisidan uch baravar yoki undan ham koʻproq past: siz uni sotuvchi portalida tasdiqlamaguningizcha Wildberries uni narx karantinida ushlab turadi.
push-reason-other = marketpleys rad etdi ({ $code })
push-reason-several_sizes = kartochkada bir nechta oʻlcham bor; qoldiqni har bir oʻlcham uchun marketpleysning oʻzida kiriting
push-reason-no_stock_id = marketpleys qoldiqni yuborish uchun identifikator bermadi
push-reason-no_price = narx belgilanmagan
push-reason-no_price_id = marketpleys narxni yuborish uchun identifikator bermadi
push-reason-no_answer = marketpleys bu mahsulot boʻyicha javob bermadi; keyinroq qayta yuboriladi
push-reason-not_found = marketpleys bu mahsulotni topmadi
push-reason-not_linked = mahsulot Uzumda oʻz omboringizdan sotishga (FBS) ulanmagan
push-reason-invalid_value = marketpleys bu qiymatni qabul qilmadi
push-reason-price_quarantine = narx karantini: yangi narxni Wildberries sotuvchi portalida tasdiqlang
push-reason-promo_locked = mahsulot aksiyada: aksiya tugaguncha uning narxini oʻzgartirib boʻlmaydi
push-reason-only_default_price = kabinetda barcha doʻkonlar uchun faqat bitta narx belgilash mumkin
push-reason-hourly_limit = shu soat ichida narx juda koʻp oʻzgartirildi; keyinroq qayta yuboriladi
push-reason-too_many_requests = juda tez-tez yuborildi; keyinroq qayta yuboriladi
push-reason-bad_key = kalit notoʻgʻri yoki oʻchirib yuborilgan
push-reason-missing_scope = kalitda qoldiqlar yoki narxlarga ruxsat yoʻq
push-reason-ip_restricted = kalit faqat muayyan IP-manzillardan ishlashga cheklangan
push-reason-key_expired = kalitning amal qilish muddati tugagan
push-reason-unavailable = marketpleys javob bermayapti; keyinroq qayta yuboriladi
push-reason-rate_limited = marketpleys soʻrovlarni kamaytirishni soʻradi; keyinroq qayta yuboriladi
push-reason-bad_response = marketpleys kutilmagan javob qaytardi; keyinroq qayta yuboriladi
push-reason-internal = bizda nimadir xato ketdi; keyinroq qayta yuboriladi
push-reason-not_supported = bu marketpleys buni qoʻllab-quvvatlamaydi
push-reason-no_shops = akkauntda birorta ham doʻkon yoʻq

## Catalog sync
sync-choose = 🔄 Qaysi marketpleys akkauntini sinxronlash kerak?
sync-no-integrations = Avval marketpleys ulang, keyin uning mahsulotlarini sinxronlang.
sync-paused = Bu marketpleys toʻxtatib turilgan. Avval uning kartochkasida ishni davom ettiring.
sync-already-running = Bu marketpleys allaqachon sinxronlanmoqda.
sync-running-elsewhere = ⏳ <b>{ $title }</b>: sinxronlash allaqachon ketmoqda. U tugagach, natija 📦 Mahsulotlar boʻlimida boʻladi: yana boshlash shart emas.
sync-started = 🔄 <b>{ $title }</b>: mahsulotlar oʻqilmoqda…
sync-progress = 🔄 <b>{ $title }</b>: { $count } ta mahsulot oʻqildi…
sync-done = ✅ <b>{ $title }</b>: { $count } ta mahsulot sinxronlandi.
sync-failed = ❌ <b>{ $title }</b>: sinxronlash { $count } ta mahsulotdan keyin toʻxtab qoldi.
sync-counts = Katalogga yangi qoʻshildi: { $created } · SKU boʻyicha moslandi: { $by_sku } · shtrix-kod boʻyicha: { $by_barcode } · mos kelmadi: { $unmatched }
sync-gone = Marketpleysda endi yoʻq: { $count }
sync-duplicates = Dublikatlar: { $skus } ta SKU bir nechta kartochkada, { $barcodes } ta shtrix-kod bir nechta SKU ostida.
sync-drift-stock-pushed = { $sku }: marketpleysda qoldiq { $pushed } oʻrniga { $seen } koʻrsatildi — sizning qiymatingiz qayta yuborildi.
sync-drift-stock-adopted = { $sku }: marketpleysda qoldiq { $pushed } oʻrniga { $seen } koʻrsatildi — bu qiymat qoldigʻingiz sifatida qabul qilindi.
sync-drift-price-pushed = { $sku }: marketpleysda narx { $pushed } oʻrniga { $seen } koʻrsatildi — sizning narxingiz qayta yuborildi.
sync-drift-price-adopted = { $sku }: marketpleysda narx { $pushed } oʻrniga { $seen } koʻrsatildi — bu qiymat narxingiz sifatida qabul qilindi.
sync-drift-more = …va yana { $count } ta.
sync-duplicates-title = ⚠️ <b>Dublikatlar: { $title }</b>
sync-duplicate-sku-line = • SKU { $sku }: { $count } ta kartochkada
sync-shared-barcode-line = • shtrix-kod { $barcode }: SKU { $skus }
sync-no-duplicates = Dublikatlar yoʻq.
sync-unmatched-title = <b>Mos kelmaganlar ({ $title })</b>: { $count } (SKU ham, tanish shtrix-kod ham yoʻq)
btn-show-duplicates = ⚠️ Dublikatlarni koʻrsatish
btn-show-unmatched = ❔ Mos kelmaganlarni koʻrsatish
btn-retry-now = 🔁 Hozir qayta urinish

## Spreadsheets
export-choose = ⬇️ Qaysi formatda?
export-preparing = Fayl tayyorlanmoqda…
export-done = ⬇️ Katalogingiz: { $count } ta mahsulot.
import-ask = ⬆️ <b>Artikul</b> (SKU) ustuni hamda <b>Qoldiq</b>, <b>Narx</b> va/yoki <b>Tannarx</b> ustuni bor Excel (.xlsx) yoki CSV faylni yuboring (sarlavhalar oʻzbek, rus yoki ingliz tilida boʻlishi mumkin). Har bir qatorni tekshirib, avval hisobot koʻrsataman — siz tasdiqlamaguningizcha hech narsa oʻzgarmaydi.
import-send-file = Iltimos, faylni hujjat sifatida yuboring (.xlsx yoki .csv).
import-report = 📋 <b>Import tekshiruvi</b>: { $total } ta qator — { $valid } tasi tayyor, { $rejected } tasi rad etildi.
import-rejected-line = • { $row }-qator ({ $sku }): { $reason }
import-rejected-more = …va yana { $count } ta rad etilgan qator.
import-confirm = Tayyor qatorlar qoʻllanilsinmi?
btn-import-apply = ✅ { $count } ta qatorni qoʻllash
btn-import-cancel = ✖️ Bekor qilish
import-applied = ✅ Qoʻllandi: { $stock } ta mahsulotning qoldigʻi, { $prices } ta mahsulotning narxi oʻzgardi. Ular marketpleyslaringizga yuborilmoqda.
import-cancelled = ✖️ Import bekor qilindi. Hech narsa oʻzgarmadi.
import-reason-other = qabul qilinmadi ({ $code })
import-reason-missing_sku = SKU yoʻq
import-reason-bad_stock = qoldiq 0 dan 1 000 000 gacha boʻlgan butun son boʻlishi kerak
import-reason-bad_price = narx noldan katta, verguldan keyin koʻpi bilan ikki raqamli boʻlishi kerak; 12,000 emas, 12000 yoki 12 000 deb yozing
import-reason-nothing_to_update = qoldiq, narx va tannarx koʻrsatilmagan
import-reason-duplicate_sku = bu SKU faylda yuqoriroqda allaqachon bor
import-reason-misaligned_row = qatorda sarlavhadagidan koʻproq katak bor (qiymat ichida vergul bormi? uni qoʻshtirnoqqa oling)
import-reason-unknown_sku = katalogingizda bunday SKU bilan mahsulot yoʻq
import-error-unsupported_format = ⚠️ Men faqat .xlsx va .csv fayllarni oʻqiy olaman.
import-error-too_large = ⚠️ Fayl juda katta (koʻpi bilan 100 000 qator, 20 MB).
import-error-no_header = ⚠️ SKU ustunini topa olmadim. «Artikul» (yoki «SKU», «Артикул») sarlavhali qator qoʻshing.
import-error-no_columns = ⚠️ Faylda «Qoldiq», «Narx» yoki «Tannarx» ustuni yoʻq.
import-error-empty = ⚠️ Fayl boʻsh.
import-error-unreadable = ⚠️ Bu faylni oʻqiy olmadim. Uni qaytadan .xlsx yoki .csv sifatida saqlang va yuboring.

## Stock rules of one marketplace account
btn-stock-rules = ⚙️ Qoldiq qoidalari
btn-rule-buffer = Zaxira
btn-rule-max = Maksimum
btn-rule-share = Ulush %
btn-rule-floor = Nolga tushirish chegarasi
btn-drift-toggle = ↔️ Kabinetdagi oʻzgarishlar
rules-title = ⚙️ <b>Qoldiq qoidalari: { $title }</b>
rules-buffer = Zaxira (marketpleysga koʻrsatilmaydi): { $value }
rules-max = Eng koʻpi bilan koʻrsatiladi: { $value }
rules-share = Qoldiq ulushi: { $value }%
rules-floor = Qoldiq shu songa teng yoki undan kam boʻlsa, 0 koʻrsatiladi: { $value }
rules-example = Misol: qoldiq 10 boʻlsa → { $shown } koʻrsatiladi
rules-drift-push_back = Agar kimdir shu marketpleys kabinetida qoldiq yoki narxni oʻzgartirsa: sizning qiymatingiz qayta yuboriladi.
rules-drift-adopt = Agar kimdir shu marketpleys kabinetida qoldiq yoki narxni oʻzgartirsa: kabinetdagi qiymat sizniki sifatida qabul qilinadi.
rules-ask-buffer = Zaxirada necha dona ushlab turilishini yuboring (marketpleysga qoldiqdan shu son ayirib koʻrsatiladi).
rules-ask-max_quantity = Bu marketpleys koʻpi bilan qancha koʻrsatishi mumkinligini yuboring (cheklov kerak boʻlmasa, «-» yuboring).
rules-ask-share_percent = Qoldiqning qancha qismi shu yerda koʻrsatilishini foizda yuboring (0–100).
rules-ask-floor = Qoldiq qanchaga teng yoki undan kam boʻlganda bu marketpleysda 0 koʻrsatilishini yuboring.
rules-bad-value = ⚠️ Butun son yuboring: eng kami { $low }, eng koʻpi { $high }.
rules-saved = ✅ Saqlandi. Yangi qoldiqlar yuborilmoqda.

## Alerts
alert-new-order = 🛒 <b>Yangi buyurtma</b>
alert-new-orders = 🛒 <b>{ $count } ta yangi buyurtma</b>
alert-order-head = <b>{ $marketplace }</b> · { $shop } — buyurtma <code>{ $order }</code>
alert-order-item = • { $name } × { $quantity }
alert-order-items-more = { $count ->
    [one] …va yana 1 ta mahsulot
   *[other] …va yana { $count } ta mahsulot
}
alert-order-total = Jami: <b>{ $total }</b>
alert-order-ship-by = ⏰ Joʻnatish muddati: <b>{ $time }</b>
alert-orders-together = Hammasi boʻlib: <b>{ $total }</b>
alert-cancelled = ❌ <b>Buyurtma bekor qilindi</b>
alert-sync-failed = 🔴 <b>{ $title }</b>: { $job } ishlamay qoldi.
alert-sync-failed-next = Jadval boʻyicha urinishda davom etaman va hammasi yana ishlaganda sizga xabar beraman.
alert-job-orders = buyurtmalarni olish
alert-job-catalog = katalogni sinxronlash
alert-job-reconcile = qoldiqlarni tekshirish
alert-job-finance = moliyaviy hisobotni oʻqish
alert-job-stock_push = qoldiqlarni yuborish
alert-job-price_push = narxlarni yuborish
alert-job-other = sinxronlash
alert-recovered = 🟢 <b>{ $title }</b> yana ishlayapti: buyurtmalar va qoldiqlar sinxronlandi.
alert-low-stock = 📉 <b>Kam qoldiq</b>: { $name } (<code>{ $sku }</code>) — { $stock } ta qoldi (xabar chegarasi: { $threshold }).
alert-out-of-stock = 📭 <b>Mahsulot tugadi</b>: { $name } (<code>{ $sku }</code>) — { $stock } ta qoldi.
alert-key-expiring = 🔑 <b>{ $title }</b>: API kaliti { $days ->
    [one] bir kun ichida
   *[other] { $days } kundan keyin
} ishlashdan toʻxtaydi ({ $date }). Sotuvchi kabinetida yangi kalit yarating va «🔑 Kalitlarni almashtirish» tugmasini bosing.

## Orders, notification settings, sync dashboard (issue 5)
btn-orders = 🧾 Buyurtmalar
btn-notifications = 🔔 Bildirishnomalar
btn-sync-status = 📊 Sinxronlash holati
orders-empty = 🧾 Hozircha buyurtmalar yoʻq. Marketpleyslaringizdagi yangi buyurtmalar shu yerda paydo boʻladi va har biri haqida sizga xabar keladi.
orders-none-match = 🧾 Bu filtrlarga mos buyurtmalar yoʻq.
orders-title = 🧾 <b>Buyurtmalar</b>: { $total } (sahifa { $page }/{ $pages })
orders-sales = 💰 Sotildi: { $count } ta buyurtma, { $total } (bekor qilinganlar hisoblanmaydi)
orders-filters = Koʻrsatilmoqda: { $marketplace } · { $state } · { $period }
orders-mp-all = Barcha marketpleyslar
orders-state-all = Barcha holatlar
orders-period-all = Butun davr
orders-period-today = Bugun
orders-period-7d = Oxirgi 7 kun
orders-period-30d = Oxirgi 30 kun
orders-pick-mp = Qaysi marketpleys buyurtmalari koʻrsatilsin?
orders-pick-state = Qaysi holatdagi buyurtmalar koʻrsatilsin?
orders-pick-period = Qaysi davrda berilgan buyurtmalar koʻrsatilsin?
btn-orders-filter-mp = 🏪 { $value }
btn-orders-filter-state = 📌 { $value }
btn-orders-filter-period = 📅 { $value }
btn-orders-filter-reset = ✖️ Filtrlarni tozalash
btn-back-to-orders = ⬅️ Buyurtmalar
order-state-new = yangi
order-state-active = jarayonda
order-state-cancelled = bekor qilingan
order-state-done = yakunlangan
order-title = 🧾 <b>Buyurtma #{ $id }</b>
order-status = Holati: <b>{ $state }</b> (marketpleysda: { $status })
order-placed = Buyurtma berilgan: { $time }
order-ship-by = Joʻnatish muddati: { $time }
order-scheme = Sxema: { $scheme }
order-items = Mahsulotlar:
order-item-line = { $name } — SKU { $sku }: { $quantity } × { $price }
order-items-more = …va yana { $count } ta mahsulot.
order-total = Jami: <b>{ $total }</b>
order-no-ship-uzum = Uzumda API orqali buyurtmani «joʻnatildi» deb belgilab boʻlmaydi: FBS buyurtmalarini topshirish punktiga olib boring.
order-no-ship-ozon = Ozonda tasdiqlash joʻnatmani yigʻishni bildiradi, keyin u kuryerga topshiriladi (alohida «joʻnatish» bosqichi yoʻq).
btn-order-confirm = ✅ Tasdiqlash
btn-order-ship = 🚚 Joʻnatish
btn-order-cancel = ✖️ Buyurtmani bekor qilish
btn-order-confirm-yes = ✅ Ha, tasdiqlansin
btn-order-ship-yes = 🚚 Ha, joʻnatilsin
btn-order-cancel-yes = ✖️ Ha, bekor qilinsin
btn-order-no = Yoʻq
btn-order-open = 🧾 Buyurtmani ochish
btn-order-open-number = 🧾 { $order }
order-cancel-why = Buyurtma #{ $id } ({ $title }) nima sababdan bekor qilinsin? Sabab marketpleysga yuboriladi.
order-reason-stock = Mahsulot qolmagan
order-reason-buyer = Xaridor soʻradi
order-reason-other = Boshqa sabab
order-ask-confirm = Buyurtma #{ $id } ({ $title }) tasdiqlansinmi? Marketpleysga buyurtmani qabul qilganingiz va uni tayyorlashingiz haqida xabar beriladi.
order-ask-ship = Buyurtma #{ $id } ({ $title }) joʻnatilgan deb belgilansinmi?
order-ask-cancel = Buyurtma #{ $id } ({ $title }) bekor qilinsinmi (sabab: { $reason })? Buni ortga qaytarib boʻlmaydi; qoldiq katalogingizga qaytadi.
order-action-sending = Marketpleysga yuborilmoqda…
order-action-running = Bu buyurtma allaqachon marketpleysga yuborilmoqda. Biroz kuting.
order-action-too-late = Bu buyurtma uchun endi bu amalni bajarib boʻlmaydi (uning holati oʻzgardi). Mana uning kartochkasi.
order-confirmed = ✅ Buyurtma #{ $id } ({ $title }) tasdiqlandi. Marketpleysdagi holati: { $status }.
order-shipped = 🚚 Buyurtma #{ $id } ({ $title }) joʻnatilgan deb belgilandi. Marketpleysdagi holati: { $status }.
order-cancel-done = ✖️ Buyurtma #{ $id } ({ $title }) bekor qilindi. Marketpleysdagi holati: { $status }. Qoldiq tez orada katalogingizga qaytadi.
order-action-failed = ⚠️ Buyurtma #{ $id } ({ $title }): marketpleys bu amalni qabul qilmadi.
order-not-supported = ⚠️ { $marketplace } bu amalni API orqali bajarishga imkon bermaydi, shuning uchun uni bu yerdan qilib boʻlmaydi. Uni sotuvchi kabinetida bajaring.
btn-notif-quiet = 🌙 Tinch soatlar
btn-notif-low-stock = 📉 Kam qoldiq chegarasi
notif-title = 🔔 <b>Bildirishnomalar</b>
notif-kind-line = { $kind }: { $value }
notif-on = yoqilgan
notif-muted = oʻchirilgan
notif-kind-new_order = Yangi buyurtmalar
notif-kind-cancelled = Bekor qilingan buyurtmalar
notif-kind-sync_failed = Sinxronlash xatolari
notif-kind-recovered = Sinxronlash tiklandi
notif-kind-low_stock = Kam qoldiq
notif-kind-key_expiring = Kalit muddati tugashi
notif-kind-runs_out = Tovar tugayapti
notif-kind-summary = Kunlik hisobot
notif-kind-broadcast = Jamoadan yangiliklar
notif-quiet-line = 🌙 Tinch soatlar: { $value } ({ $timezone } vaqti bilan). Bu soatlardagi bildirishnomalar ushlab turiladi va keyin yuboriladi.
notif-quiet-off = oʻchirilgan
notif-low-stock-line = 📉 Mahsulotdan { $value } ta yoki undan kam qolganda kam qoldiq haqida xabar beriladi (mahsulotning oʻz chegarasi boʻlsa, oʻsha amal qiladi).
notif-muted-done = { $kind }: oʻchirildi
notif-unmuted-done = { $kind }: yoqildi
notif-saved = Saqlandi.
notif-quiet-ask = 🌙 Bildirishnomalar qaysi soatlarda kutib turilsin? Vaqt { $timezone } boʻyicha; bu soatlardagi bildirishnomalar ular tugagach yuboriladi.
notif-low-stock-ask = 📉 Qoldiq qanchaga teng yoki undan kam boʻlganda kam qoldiq haqida xabar olishni xohlaysiz? 0 dan 1 000 000 gacha boʻlgan butun son yuboring (hozir: { $value }).
notif-low-stock-bad = ⚠️ 0 dan 1 000 000 gacha boʻlgan butun son yuboring.
notif-low-stock-set = ✅ Kam qoldiq chegarasi { $value } qilib belgilandi.
dash-title = 📊 <b>Sinxronlash holati: { $title }</b>
dash-kind-orders = 🧾 Buyurtmalar
dash-kind-catalog = 🔄 Katalog
dash-kind-stock_push = 📦 Qoldiqlarni yuborish
dash-kind-price_push = 💰 Narxlarni yuborish
dash-kind-reconcile = ↔️ Qoldiqlarni tekshirish
dash-kind-finance = 💵 Moliyaviy hisobot
dash-schedule = { $every }, keyingisi: { $next }
dash-last-ok = oxirgi muvaffaqiyatli: { $time }
dash-paused = toʻxtatilgan
dash-every-minutes = har { $minutes } daqiqada
dash-every-hours = har { $hours } soatda
dash-every-days = har { $days } kunda
dash-no-runs = hali ishga tushirilmagan
dash-run-ok = muvaffaqiyatli
dash-run-partial = qisman bajarildi
dash-run-failed = xato
dash-run-running = bajarilmoqda
dash-run-error-other = xato { $code }
dash-counts-orders = yangi: { $new }, oʻzgargan: { $changed }, bekor qilingan: { $cancelled }, avvalgi: { $baseline }
dash-counts-catalog = kartochkalar: { $seen }, yangi mahsulotlar: { $created }, mos kelmadi: { $unmatched }
dash-counts-push = yuborildi: { $sent }, qabul qilindi: { $accepted }, rad etildi: { $rejected }
dash-counts-reconcile = tekshirildi: { $checked }, farqi bor: { $differing }
dash-counts-finance = oʻqildi: { $read }, yangi: { $added }, tuzatildi: { $changed }
dash-interval-ask = Yangi buyurtmalar qanchalik tez-tez tekshirilsin:
dash-interval-set = Yangi buyurtmalar endi { $every } tekshiriladi.
dash-run-queued = { $kind }: hozir boshlanadi.
btn-dash-minutes = { $minutes } daqiqa
btn-dash-run-orders = 🔁 Qayta urinish: buyurtmalar
btn-dash-run-catalog = 🔁 Qayta urinish: katalog
btn-dash-refresh = 🔄 Yangilash
# ---- analytics: the report, profit, export, the daily summary (bot/handlers/analytics.py, bot/analytics_texts.py) ----
analytics-btn-open = 📊 Tahlil
analytics-btn-today = Bugun
analytics-btn-yesterday = Kecha
analytics-btn-7d = 7 kun
analytics-btn-30d = 30 kun
analytics-btn-month = Shu oy
analytics-btn-last-month = O'tgan oy
analytics-btn-custom = 📅 O'z sanalaringiz
analytics-btn-chart-daily = 📈 Kunlar bo'yicha
analytics-btn-chart-share = 🥧 Ulushlar
analytics-btn-chart-top = 🏆 Top
analytics-btn-profit = 💰 Foyda
analytics-btn-top = 📋 Top-10
analytics-btn-excel = 📥 Excel
analytics-btn-csv = 📥 CSV
analytics-btn-refresh = 🔄 Raqamlarni yangilash
analytics-btn-report = 📊 Hisobotga qaytish
analytics-currency-uzs = so'm
analytics-currency-rub = rubl
analytics-period-today = Bugun
analytics-period-yesterday = Kecha
analytics-period-7d = 7 kun
analytics-period-30d = 30 kun
analytics-period-month = Shu oy
analytics-period-last_month = O'tgan oy
analytics-mp-all = Barcha marketpleyslar
analytics-title = 📊 <b>{ $period }</b> · { $marketplace }
analytics-orders = 🧾 Buyurtmalar: <b>{ $count }</b> ({ $change })
analytics-units = 📦 Sotildi, dona: <b>{ $count }</b> ({ $change })
analytics-revenue = 💵 Tushum: <b>{ $amount }</b>
analytics-average = 🧮 O'rtacha buyurtma: { $amount }
analytics-cancelled = ❌ Bekor qilingan: { $count } · { $share } ({ $change })
analytics-returned = ↩️ Qaytarilgan: { $count } · { $share } ({ $change })
analytics-split-title = 🏪 Marketpleyslar bo'yicha tushum:
analytics-no-orders = Bu davrda ham, undan oldingisida ham buyurtma yo'q.
analytics-compared = Δ — { $period } davriga nisbatan.
analytics-top-title = 🏆 <b>Top mahsulotlar</b> · { $period } · { $marketplace }
analytics-top-revenue = <b>Tushum bo'yicha, { $currency }:</b>
analytics-top-units = <b>Soni bo'yicha:</b>
analytics-units-short = { $count } dona
analytics-profit-title = 💰 <b>Foyda</b> · { $period } · { $marketplace }
analytics-profit-none = Bu davr uchun moliyaviy ma'lumotlar hali yo'q. Marketpleyslar hisobotlari kuniga bir marta o'qiladi; hozir o'qish uchun «🔄 Raqamlarni yangilash» tugmasini bosing.
analytics-profit-total = <b>{ $currency }</b>: sotuv { $sales }, marketpleys xizmatlari { $fees }, yalpi foyda <b>{ $profit }</b> (marja { $margin })
analytics-profit-other-fees = shu jumladan mahsulotga bog'lanmagan xarajatlar (saqlash, reklama): { $amount }
analytics-profit-left-out = hisobga olinmadi: tannarxi yo'q mahsulotlar sotuvi, { $amount }
analytics-profit-products = <b>Mahsulotlar bo'yicha</b> (sotuv − xizmatlar − tannarx):
analytics-profit-line = { $name }: { $units } dona, sotuv { $sales }, xizmatlar { $fees }, tannarx { $cost } → <b>{ $profit }</b> ({ $margin })
analytics-profit-no-cost = ⚠️ <b>{ $count } ta mahsulotning tannarxi yo'q</b>, ularning foydasi noma'lum (tekin deb hisoblanmaydi):
analytics-profit-cost-hint = Tannarxni 📦 Mahsulotlar → mahsulot kartasida yoki Excel importidagi «Tannarx» ustunida kiriting.
analytics-more = …va yana { $count } ta
analytics-chart-orders = Buyurtmalar
analytics-chart-revenue = Tushum, { $currency }
analytics-chart-top = Soni bo'yicha top mahsulotlar
analytics-chart-empty = Bu davrda sotuv yo'q
analytics-range-ask = 📅 Sanalarni yozing, qaysi kundan qaysi kungacha, masalan <code>{ $example }</code> (ikkala kun ham kiradi).
analytics-range-example = Masalan: <code>{ $example }</code>
analytics-range-bad-format = ⚠️ Sanalarni o'qib bo'lmadi. Ularni kun.oy.yil ko'rinishida yozing, dan va gacha.
analytics-range-bad-order = ⚠️ Birinchi sana ikkinchisidan keyin.
analytics-range-bad-future = ⚠️ Davr kelajakda tugaydi.
analytics-range-bad-too-long = ⚠️ Davr juda uzun: ko'pi bilan { $days } kun.
analytics-export-preparing = Fayl tayyorlanmoqda…
analytics-export-done = 📥 { $period } · { $marketplace }
analytics-refresh-started = 🔄 Marketpleyslarning moliyaviy hisobotlari qayta o'qilmoqda. Hisobotni bir-ikki daqiqadan keyin oching.
analytics-refresh-none = Raqamlarni o'qish mumkin bo'lgan faol ulanish yo'q.
analytics-summary-title-daily = 🗓 <b>Kecha, { $date }</b>
analytics-summary-title-weekly = 🗓 <b>O'tgan hafta, { $period }</b>
analytics-summary-compared-daily = Δ — undan oldingi kunga nisbatan.
analytics-summary-compared-weekly = Δ — undan oldingi haftaga nisbatan.
analytics-summary-attention = <b>E'tibor bering:</b>
analytics-summary-runs-out = 📉 { $name }: { $stock } qoldi, taxminan { $days } kunga
analytics-summary-out-of-stock = 🚫 { $name }: tugadi
analytics-summary-failing = 🔴 { $title }: sinxronlash ishlamayapti (ketma-ket { $streak } marta)
analytics-summary-key-expiring = 🔑 { $title }: kalit { $days } kundan keyin tugaydi
analytics-summary-all-good = ✅ Hammasi joyida.
analytics-summary-btn-open = 📊 Tahlilni ochish
analytics-btn-summary = 🗓 Kunlik hisobot
analytics-summary-line = 🗓 Hisobot: { $value }
analytics-summary-mode-off = o'chirilgan
analytics-summary-mode-daily = har kuni soat { $time } da
analytics-summary-mode-weekly = dushanbalari soat { $time } da
analytics-summary-ask = 🗓 <b>Hisobot</b>: kechagi raqamlar undan oldingi kunga nisbatan, grafik va e'tibor talab qiladigan narsalar. Hozir: { $value } ({ $timezone } vaqti).
analytics-summary-btn-off = O'chirish
analytics-summary-btn-daily = Har kuni
analytics-summary-btn-weekly = Haftada bir (dushanba)
analytics-summary-saved = Saqlandi: { $value }
