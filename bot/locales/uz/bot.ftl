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
    3. Kategoriyalar: «Контент», «Цены и скидки», «Маркетплейс», «Статистика», «Аналитика». Ruxsat: <b>«Чтение и запись»</b> (oʻqish va yozish).
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
fix-wildberries-missing_scope = «Контент», «Цены и скидки», «Маркетплейс», «Статистика» va «Аналитика» kategoriyalari bilan token yarating.
fix-yandex-missing_scope = Tokenga buyurtmalar va qoldiqlar, narxlar, mahsulotlar va kartochkalar, moliya va hisobotlar boʻyicha ruxsat bering (yoki «Полное управление кабинетом» — barcha metodlar).
fix-ozon-ip_restricted = «Настройки → Seller API» boʻlimida kalitni oching va ruxsat etilgan tarmoqlarni olib tashlang yoki ularsiz yangi kalit yarating.

## Warnings about a working key
warning-wb_personal_token = Bu <b>«Персональный»</b> (shaxsiy) token. Wildberries bulutli servislarda shaxsiy tokenlardan foydalanishni taqiqlaydi — iltimos, uning oʻrniga «Базовый» (asosiy) token yarating.
warning-wb_base_token = «Базовый» (asosiy) token: Wildberries uni qattiq cheklaydi (masalan, soatiga 4 marta narx yuklash). Narx oʻzgarishlari navbat bilan yuboriladi.
warning-wb_test_token = Bu <b>«Тестовый»</b> (test) token: u haqiqiy doʻkoningiz bilan emas, faqat Wildberries sinov muhiti (sandbox) bilan ishlaydi.
warning-wb_read_only = Token faqat oʻqish uchun: qoldiqlar va narxlarni Wildberries tizimiga yuborib boʻlmaydi.
warning-wb_missing_categories = Tokenda ayrim kategoriyalar yetishmaydi («Контент», «Цены и скидки», «Маркетплейс», «Статистика», «Аналитика»), shuning uchun ayrim funksiyalar ishlamaydi.
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
