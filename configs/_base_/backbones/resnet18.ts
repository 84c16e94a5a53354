/** torchvision ResNet-18 (11.2M parameters without fc), for `npm run sweep`. */
export default { type: 'ResNet', depth: 18 };
