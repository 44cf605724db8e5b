envoy.config.route.v3.RouteConfiguration

https/shop.example.comE
shop.example.comshop.example.com

/
shop/web/80/ef46db3751
misdirected*


/:¥