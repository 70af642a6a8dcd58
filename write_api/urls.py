from django.contrib import admin
from django.urls import path

import write_api.admin  # noqa: F401  (registers the command-only model admins)
from api_conventions.urls import api_urlpatterns, handler400, handler403, handler404, handler500
from write_api.accounts import views as accounts
from write_api.bookings import views as bookings
from write_api.catalogue import views as catalogue
from write_api.credits import views as credits
from write_api.favorites import views as favorites
from write_api.health import CHECKS
from write_api.notifications import views as notifications
from write_api.practitioners import views as practitioners
from write_api.reviews import views as reviews
from write_api.scheduling import views as scheduling
from write_api.streams import views as streams

api_v1 = [
    path("auth/register/", accounts.RegisterApi.as_view()),
    path("auth/login/", accounts.LoginApi.as_view()),
    path("auth/token/refresh/", accounts.RefreshApi.as_view()),
    path("auth/me/", accounts.MeApi.as_view()),
    path("practitioners/", practitioners.PractitionerCreateApi.as_view()),
    path("practitioners/<uuid:practitioner_id>/", practitioners.PractitionerDetailApi.as_view()),
    path("services/", catalogue.ServiceCreateApi.as_view()),
    path("services/<uuid:service_id>/", catalogue.ServiceDetailApi.as_view()),
    path("services/<uuid:service_id>/sessions/", catalogue.SessionListApi.as_view()),
    path("services/<uuid:service_id>/sessions/<uuid:session_id>/", catalogue.SessionDetailApi.as_view()),
    path("practitioner/schedule/", scheduling.ScheduleApi.as_view()),
    path("practitioner/schedule/overrides/", scheduling.OverrideApi.as_view()),
    path("practitioner/schedule/block/", scheduling.BlockCreateApi.as_view()),
    path("practitioner/schedule/blocks/", scheduling.BlockListApi.as_view()),
    path("practitioner/schedule/blocks/<uuid:block_id>/", scheduling.BlockDetailApi.as_view()),
    path("bookings/", bookings.BookingListApi.as_view()),
    path("bookings/<uuid:booking_id>/", bookings.BookingDetailApi.as_view()),
    path("bookings/<uuid:booking_id>/schedule/", bookings.BookingScheduleApi.as_view()),
    path("bookings/<uuid:booking_id>/reschedule/", bookings.BookingRescheduleApi.as_view()),
    path("bookings/<uuid:booking_id>/cancel/", bookings.BookingCancelApi.as_view()),
    path("bookings/<uuid:booking_id>/complete/", bookings.BookingCompleteApi.as_view()),
    path("bookings/<uuid:booking_id>/review/", reviews.ReviewCreateApi.as_view()),
    path("reviews/<uuid:review_id>/", reviews.ReviewDetailApi.as_view()),
    path("reviews/<uuid:review_id>/reply/", reviews.ReviewReplyApi.as_view()),
    path("favorites/", favorites.FavoriteListApi.as_view()),
    path("favorites/ids/", favorites.FavoriteIdsApi.as_view()),
    path("favorites/<str:object_type>/<str:object_id>/", favorites.FavoriteDetailApi.as_view()),
    path("notifications/", notifications.NotificationListApi.as_view()),
    path("notifications/unread-count/", notifications.UnreadCountApi.as_view()),
    path("notifications/read-all/", notifications.NotificationReadAllApi.as_view()),
    path("notifications/<uuid:notification_id>/", notifications.NotificationDetailApi.as_view()),
    path("notifications/<uuid:notification_id>/read/", notifications.NotificationReadApi.as_view()),
    path("notifications/<uuid:notification_id>/unread/", notifications.NotificationUnreadApi.as_view()),
    path("streams/", streams.StreamCreateApi.as_view()),
    path("streams/<uuid:stream_id>/", streams.StreamDetailApi.as_view()),
    path("streams/<uuid:stream_id>/like/", streams.StreamLikeApi.as_view()),
    path("streams/<uuid:stream_id>/save/", streams.StreamSaveApi.as_view()),
    path("streams/<uuid:stream_id>/unlock/", streams.StreamUnlockApi.as_view()),
    path("credits/balance/", credits.BalanceApi.as_view()),
    path("credits/transactions/", credits.TransactionListApi.as_view()),
    path("credits/purchase/", credits.PurchaseApi.as_view()),
]

urlpatterns = [
    *api_urlpatterns(api_v1=api_v1, readiness_checks=CHECKS),
    path("admin/login/", write_api.admin.admin_login),
    path("admin/", admin.site.urls),
]

__all__ = ["urlpatterns", "handler400", "handler403", "handler404", "handler500"]
