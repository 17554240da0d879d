pub struct DynamicEvent;
