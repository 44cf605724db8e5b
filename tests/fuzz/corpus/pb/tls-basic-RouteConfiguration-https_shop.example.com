envoy.config.route.v3.RouteConfiguration

https/shop.example.com“
shop.example.comshop.example.com:

/.well-known/acme-challenge
shop/acme/80/ef46db3751

/old/new

/
shop/web/80/ef46db3751
misdirected*


/:¥