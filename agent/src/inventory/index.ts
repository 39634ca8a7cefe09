export { Inventory } from './inventory.js';
export { InventoryStore, INVENTORY_CONFIGMAP, type InventoryStoreOptions, type StoredInventory } from './store.js';
