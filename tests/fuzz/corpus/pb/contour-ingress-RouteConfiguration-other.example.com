envoy.config.route.v3.RouteConfiguration

other.example.comH
other.example.comother.example.com 

/
other/web/80/ef46db3751