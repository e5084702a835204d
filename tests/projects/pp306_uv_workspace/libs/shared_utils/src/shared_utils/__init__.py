CITY = "Rio"
