envoy.config.route.v3.RouteConfiguration

shop.example.com¢
shop.example.comshop.example.com:

/.well-known/acme-challenge
shop/acme/80/ef46db3751

/old
cairn/not-forwarded

/
shop/web/80/ef46db3751