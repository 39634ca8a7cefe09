export { Inventory } from './inventory.js';
export { InventoryStore, type InventoryStoreOptions, type StoredInventory } from './store.js';
