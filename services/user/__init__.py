"""The user service: customers and their payment methods as read models of its own USERS events, the
order saga's customer validation, and segmentation from storefront behaviour and loyalty."""
