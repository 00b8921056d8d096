"""The knowledge portal (`kmingest serve`): the last stage of the data flow, where employees search.

index (embedded or Elasticsearch) -> kmingest.search -> portal: HTML pages + JSON API, always as the
signed-in user's Caller, so the ACL filter applies to every query, count, facet, highlight and fetch.

Modules: app (factory, lifecycle), context (per-app state), auth (sign-in, sessions, tokens, SSO header),
service (search/document use cases + query log), render (escaped highlights), api (JSON), pages (HTML),
security (headers, error pages).
"""

from kmingest.portal.app import create_app

__all__ = ["create_app"]
