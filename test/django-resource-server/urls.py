"""The business API: one DRF view that needs a token with the `read` scope."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class Orders(APIView):
    # DOT's OAuth2Authentication and TokenHasScope come from REST_FRAMEWORK's defaults (settings.py).
    required_scopes = ["read"]

    def get(self, request):
        # request.user: the Django user DOT found or created from the introspection's `username`.
        return Response(
            {
                "username": request.user.get_username() if request.user else None,
                "scope": request.auth.scope,
                "orders": [],
            }
        )


urlpatterns = [path("api/orders/", Orders.as_view())]
