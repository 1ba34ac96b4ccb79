"""The dashboard's words in English and Arabic.

Status labels follow the ones operators already know from the extension (NEEDS_LOGIN is
"يحتاج تسجيل دخول", check status is "🔄 فحص الحالة"), so the playbook's wording matches
what is on screen. The noun "post" is always منشور and the status "published" always تم النشر,
so neither reads as the other. Words are whole labels: data (ids, handles, URLs, errors) is
never part of a word, the templates put it beside one, isolated in `<bdi>`.
"""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("en", "ar")
RTL = frozenset({"ar"})

# key: (English, Arabic)
WORDS: dict[str, tuple[str, str]] = {
    "app": ("Publishing", "النشر"),
    "posts": ("Posts", "المنشورات"),
    "jobs": ("Jobs", "المهام"),
    "devices": ("Devices", "الأجهزة"),
    "audit": ("Audit log", "سجل التدقيق"),
    "sign_in": ("Sign in", "تسجيل الدخول"),
    "sign_out": ("Sign out", "تسجيل الخروج"),
    "operator_token": ("Operator token", "رمز المشغّل"),
    "sign_in_help": ("Paste the server's operator token.", "الصق رمز المشغّل الخاص بالخادم."),
    "language": ("Language", "اللغة"),
    "new_post": ("New post", "منشور جديد"),
    "text": ("Text", "النص"),
    "media": ("Media (images, mp4)", "الوسائط (صور، mp4)"),
    "targets": ("Targets", "الوجهات"),
    "other_targets": ("Other targets (platform/account, comma separated)",
                      "وجهات أخرى (المنصة/الحساب، مفصولة بفواصل)"),
    "confirm_mode": ("Confirm before publishing", "التأكيد قبل النشر"),
    "confirm_auto": ("auto", "تلقائي"),
    "confirm_manual": ("manual (I confirm each)", "يدوي (أؤكد كل مهمة)"),
    "create": ("Create post", "إنشاء المنشور"),
    "schedule": ("Schedule", "جدولة"),
    "schedule_at": ("Publish at (empty: now)", "النشر في (فارغ: الآن)"),
    "scheduled": ("Scheduled", "موعد النشر"),
    "status": ("Status", "الحالة"),
    "platform": ("Platform", "المنصة"),
    "account": ("Account", "الحساب"),
    "device": ("Device", "الجهاز"),
    "any": ("any", "الكل"),
    "filter": ("Filter", "تصفية"),
    "problems": ("Show", "عرض"),
    "all_jobs": ("all jobs", "كل المهام"),
    "only_stuck": ("stuck", "العالقة"),
    "only_failed": ("failed / needs login", "الفاشلة / تحتاج تسجيل دخول"),
    "only_duplicate": ("duplicates", "المكررة"),
    "stuck": ("stuck", "عالقة"),
    "duplicate": ("duplicate", "مكررة"),
    "job": ("Job", "المهمة"),
    "post": ("Post", "المنشور"),
    "attempts": ("Attempts", "المحاولات"),
    "updated": ("Updated", "آخر تحديث"),
    "created": ("Created", "أنشئ"),
    "error": ("Error", "الخطأ"),
    "post_url": ("Post URL", "رابط المنشور"),
    "post_text": ("Post text", "نص المنشور"),
    "verify_first": ("Verify before publishing again", "تحقق قبل إعادة النشر"),
    "runs": ("Runs", "المحاولات المنفذة"),
    "run": ("Run", "تنفيذ"),
    "definitions": ("Definitions", "التعريفات"),
    "definitions_local": ("the device's own", "الخاصة بالجهاز"),
    "logs": ("Step log", "سجل الخطوات"),
    "proofs": ("Proofs", "الإثباتات"),
    "no_proofs": ("No proof was uploaded for this run.", "لم يُرفع أي إثبات لهذا التنفيذ."),
    "no_runs": ("Not run yet.", "لم تُنفذ بعد."),
    "no_rows": ("Nothing here yet.", "لا شيء هنا بعد."),
    "failure_html": ("⬇ Page HTML at the failure", "⬇ صفحة HTML عند الفشل"),
    "trace": ("⬇ Playwright trace (zip)", "⬇ تتبع Playwright (zip)"),
    "download": ("Download", "تنزيل"),
    "bundle": ("⬇ Escalation bundle (zip)", "⬇ حزمة التصعيد (zip)"),
    "cancel": ("Cancel job", "إلغاء المهمة"),
    "retry": ("Retry", "إعادة المحاولة"),
    "approve": ("✔ Confirm and publish", "✔ تأكيد ونشر"),
    "reject": ("✖ Reject", "✖ رفض"),
    "awaiting_title": ("This job waits for your confirmation", "هذه المهمة بانتظار تأكيدك"),
    "check_status": ("🔄 Check status", "🔄 فحص الحالة"),
    "last_seen": ("Last seen", "آخر ظهور"),
    "never": ("never", "أبداً"),
    "logins": ("Logins", "تسجيلات الدخول"),
    "logged_in": ("logged in", "مسجّل الدخول"),
    "login_unknown": ("not checked", "لم يُفحص"),
    "checked_at": ("checked", "فُحص"),
    "seconds_ago": ("{n} s ago", "منذ {n} ث"),
    "id": ("ID", "المعرّف"),
    # a job's account has no device that can publish it (posts and jobs pages)
    "login_none": ("no device is logged in to this account", "لا جهاز مسجّل الدخول لهذا الحساب"),
    "login_unchecked": ("login not yet checked", "لم يُفحص تسجيل الدخول بعد"),
    # the confirm decision, beside the confirm mode
    "decision_approved": ("confirmed", "تم التأكيد"),
    "decision_rejected": ("rejected", "مرفوض"),
    # runs: from start to end, in the page's reading direction
    "arrow": ("→", "←"),
    "open_full": ("Click the image to open it full size", "انقر الصورة لفتحها بحجمها الكامل"),
    "newer": ("Newer", "الأحدث"),
    "older": ("Older", "الأقدم"),
    "page": ("Page", "الصفحة"),
    "current_job": ("Current job", "المهمة الحالية"),
    "version": ("Version", "الإصدار"),
    "action": ("Action", "الإجراء"),
    "at": ("At", "الوقت"),
    "detail": ("Detail", "التفاصيل"),
    "warnings": ("Warnings", "تحذيرات"),
    "back": ("Back", "رجوع"),
    "live": ("updates live", "تحديث مباشر"),
    "msg_signed_in": ("Signed in.", "تم تسجيل الدخول."),
    "msg_created": ("Post created. Schedule it below.", "تم إنشاء المنشور. جدوِله أدناه."),
    "msg_scheduled": ("Scheduled.", "تمت الجدولة."),
    "msg_cancelled": ("Job cancelled.", "تم إلغاء المهمة."),
    "msg_retried": ("Job queued again.", "أعيدت المهمة إلى الانتظار."),
    "msg_approved": ("Confirmed: the device publishes now.", "تم التأكيد: الجهاز ينشر الآن."),
    "msg_rejected": ("Rejected: the job is cancelled.", "تم الرفض: أُلغيت المهمة."),
    "msg_check": ("The device checks its logins at its next heartbeat.",
                  "سيفحص الجهاز تسجيلات الدخول عند نبضته التالية."),
    "err_title": ("That did not work", "تعذّر ذلك"),
    "err_token": ("Wrong operator token.", "رمز المشغّل غير صحيح."),
    "err_csrf": ("This form expired or came from another site; reload the page and retry.",
                 "انتهت صلاحية النموذج أو جاء من موقع آخر؛ أعد تحميل الصفحة وحاول مجدداً."),
    "online": ("online", "متصل"),
    "offline": ("offline", "غير متصل"),
    # job statuses, as in the extension
    "QUEUED": ("Queued", "في الانتظار"),
    "CLAIMED": ("Claimed", "تم الاستلام"),
    "RUNNING": ("Running", "قيد التنفيذ"),
    "AWAITING_CONFIRM": ("Awaiting confirm", "بانتظار التأكيد"),
    "SUCCEEDED": ("Succeeded", "تم النشر"),
    "FAILED": ("Failed", "فشل"),
    "NEEDS_LOGIN": ("Needs login", "يحتاج تسجيل دخول"),
    "CANCELLED": ("Cancelled", "ملغاة"),
    # post statuses
    "DRAFT": ("Draft", "مسودة"),
    "PENDING_APPROVAL": ("Pending approval", "بانتظار الموافقة"),
    "APPROVED": ("Approved", "تمت الموافقة"),
    "SCHEDULED": ("Scheduled", "مجدول"),
    "PUBLISHING": ("Publishing", "جارٍ النشر"),
    "PUBLISHED": ("Published", "تم النشر"),
    "ONLINE": ("Online", "متصل"),
    "OFFLINE": ("Offline", "غير متصل"),
    # proof kinds
    "before_confirm": ("Before confirm", "قبل التأكيد"),
    "after_publish": ("After publish", "بعد النشر"),
    "on_failure": ("On failure", "عند الفشل"),
    # selector health (canaries)
    "health": ("Selector health", "سلامة المحددات"),
    "health_help": ("A canary is a dry run on the live site that never publishes; devices run "
                    "them on a schedule and after a job fails on a selector.",
                    "الفحص التجريبي تشغيل تجريبي على الموقع الحقيقي لا ينشر أبداً؛ تشغّله "
                    "الأجهزة وفق جدول وبعد فشل مهمة في محدد."),
    "no_canaries": ("No canary has reported yet: enable canaries for an account on a device "
                    "(canary_every).",
                    "لم يُبلغ أي فحص تجريبي بعد: فعّل الفحوص التجريبية لحساب على جهاز "
                    "(canary_every)."),
    "verdict": ("Verdict", "النتيجة"),
    "healthy": ("Healthy", "سليم"),
    "degraded": ("Degraded", "متراجع"),
    "inconclusive": ("Inconclusive", "غير حاسم"),
    "broken": ("Broken", "معطّل"),
    "last_healthy": ("Last healthy", "آخر فحص سليم"),
    "last_canary": ("Latest canary", "آخر فحص تجريبي"),
    "broken_selectors": ("Broken selectors", "المحددات المعطّلة"),
    "fallbacks": ("Only through a fallback", "عبر بديل فقط"),
    "selector": ("Selector", "المحدد"),
    "where": ("Where", "الموضع"),
    "phase": ("Phase", "المرحلة"),
    "proof": ("Proof", "الإثبات"),
    "local_definitions": ("local", "محلية"),
    "message": ("Message", "الرسالة"),
}


def pick(accept_language: str | None, cookie: str | None) -> str:
    """The cookie wins; else Arabic if the browser asks for it first; else English."""
    if cookie in LANGS:
        return cookie
    first = (accept_language or "").split(",")[0].strip().lower()
    return "ar" if first.startswith("ar") else "en"


def translator(lang: str) -> Callable[[str], str]:
    index = 1 if lang == "ar" else 0

    def t(key: str) -> str:
        words = WORDS.get(key)
        return words[index] if words else key

    return t
