/** torchvision ResNet-50 (23.5M parameters without fc), for `npm run sweep`. */
export default { type: 'ResNet', depth: 50 };
